// Package translit spells letters in lowercase ASCII, for the names the bot
// builds from titles: Slack channels (bot.ChannelName) and exported
// postmortem files (postmortem.Slug). One table, so a title gives the same
// words in its channel and in its file.
package translit

import "unicode/utf8"

// Rune returns r spelled in lowercase ASCII and whether r belongs to a word:
// ASCII letters and digits as they are (lowercased), Latin letters without
// their diacritics ("é" → "e", "ß" → "ss"), Cyrillic letters of Russian,
// Ukrainian, Belarusian and Kazakh after a simple scheme ("й" → "y",
// "я" → "ya", "х" → "kh"). The hard and soft signs (ъ, ь) spell nothing but
// stay inside their word: "", true. Anything else — spaces, punctuation,
// emoji, other scripts — gives "", false, and the caller decides how to
// separate words.
func Rune(r rune) (ascii string, inWord bool) {
	switch {
	case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		return string(r), true
	case r >= 'A' && r <= 'Z':
		return string(r + ('a' - 'A')), true
	case r < utf8.RuneSelf:
		return "", false
	}
	if t := latin(r); t != "" {
		return t, true
	}
	return cyrillic(r)
}

// latin folds Latin letters with diacritics (Latin-1 Supplement and the
// common part of Latin Extended-A) to ASCII.
func latin(r rune) string {
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā', 'ă', 'ą', 'À', 'Á', 'Â', 'Ã', 'Ä', 'Å', 'Ā', 'Ă', 'Ą':
		return "a"
	case 'æ', 'Æ':
		return "ae"
	case 'ç', 'ć', 'č', 'ĉ', 'ċ', 'Ç', 'Ć', 'Č', 'Ĉ', 'Ċ':
		return "c"
	case 'ď', 'đ', 'ð', 'Ď', 'Đ', 'Ð':
		return "d"
	case 'è', 'é', 'ê', 'ë', 'ē', 'ĕ', 'ė', 'ę', 'ě', 'È', 'É', 'Ê', 'Ë', 'Ē', 'Ĕ', 'Ė', 'Ę', 'Ě':
		return "e"
	case 'ĝ', 'ğ', 'ġ', 'ģ', 'Ĝ', 'Ğ', 'Ġ', 'Ģ':
		return "g"
	case 'ĥ', 'ħ', 'Ĥ', 'Ħ':
		return "h"
	case 'ì', 'í', 'î', 'ï', 'ĩ', 'ī', 'ĭ', 'į', 'ı', 'Ì', 'Í', 'Î', 'Ï', 'Ĩ', 'Ī', 'Ĭ', 'Į', 'İ':
		return "i"
	case 'ĵ', 'Ĵ':
		return "j"
	case 'ķ', 'Ķ':
		return "k"
	case 'ĺ', 'ļ', 'ľ', 'ŀ', 'ł', 'Ĺ', 'Ļ', 'Ľ', 'Ŀ', 'Ł':
		return "l"
	case 'ñ', 'ń', 'ņ', 'ň', 'Ñ', 'Ń', 'Ņ', 'Ň':
		return "n"
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'ō', 'ŏ', 'ő', 'Ò', 'Ó', 'Ô', 'Õ', 'Ö', 'Ø', 'Ō', 'Ŏ', 'Ő':
		return "o"
	case 'œ', 'Œ':
		return "oe"
	case 'ŕ', 'ŗ', 'ř', 'Ŕ', 'Ŗ', 'Ř':
		return "r"
	case 'ś', 'ŝ', 'ş', 'š', 'Ś', 'Ŝ', 'Ş', 'Š':
		return "s"
	case 'ß':
		return "ss"
	case 'ţ', 'ť', 'ŧ', 'Ţ', 'Ť', 'Ŧ':
		return "t"
	case 'þ', 'Þ':
		return "th"
	case 'ù', 'ú', 'û', 'ü', 'ũ', 'ū', 'ŭ', 'ů', 'ű', 'ų', 'Ù', 'Ú', 'Û', 'Ü', 'Ũ', 'Ū', 'Ŭ', 'Ů', 'Ű', 'Ų':
		return "u"
	case 'ŵ', 'Ŵ':
		return "w"
	case 'ý', 'ÿ', 'ŷ', 'Ý', 'Ÿ', 'Ŷ':
		return "y"
	case 'ź', 'ż', 'ž', 'Ź', 'Ż', 'Ž':
		return "z"
	}
	return ""
}

// cyrillic spells Russian letters as the postmortem file names always
// have (so exported files keep their names), and the Ukrainian,
// Belarusian and Kazakh letters by their nearest Russian sound.
func cyrillic(r rune) (string, bool) {
	// Fold the upper-case Cyrillic blocks onto lower case first.
	switch {
	case r >= 'А' && r <= 'Я':
		r += 'а' - 'А'
	case r >= 'Ѐ' && r <= 'Џ':
		r += 'ѐ' - 'Ѐ'
	case r >= 'Ґ' && r <= 'ӿ' && r%2 == 0:
		r++ // Cyrillic Extended: upper case at even code points
	}
	switch r {
	case 'а', 'ә':
		return "a", true
	case 'б':
		return "b", true
	case 'в':
		return "v", true
	case 'г', 'ґ', 'ғ':
		return "g", true
	case 'д':
		return "d", true
	case 'е', 'ѐ', 'ё', 'э':
		return "e", true
	case 'є':
		return "ye", true
	case 'ж':
		return "zh", true
	case 'з':
		return "z", true
	case 'и', 'і', 'ї', 'ѝ':
		return "i", true
	case 'й':
		return "y", true
	case 'к', 'қ':
		return "k", true
	case 'л':
		return "l", true
	case 'м':
		return "m", true
	case 'н', 'ң':
		return "n", true
	case 'о', 'ө':
		return "o", true
	case 'п':
		return "p", true
	case 'р':
		return "r", true
	case 'с':
		return "s", true
	case 'т':
		return "t", true
	case 'у', 'ұ', 'ү', 'ў':
		return "u", true
	case 'ф':
		return "f", true
	case 'х':
		return "kh", true
	case 'һ':
		return "h", true
	case 'ц':
		return "ts", true
	case 'ч':
		return "ch", true
	case 'ш':
		return "sh", true
	case 'щ':
		return "shch", true
	case 'ы':
		return "y", true
	case 'ю':
		return "yu", true
	case 'я':
		return "ya", true
	case 'ъ', 'ь':
		return "", true
	}
	return "", false
}
