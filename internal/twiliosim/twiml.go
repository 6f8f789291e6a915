package twiliosim

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// twimlDoc is what the simulator reads out of a TwiML document.
type twimlDoc struct {
	says         []string // every <Say>, in order
	messages     []string // every <Message> (an SMS reply), in order
	hasGather    bool
	gatherAction string // the first <Gather>'s action
	gatherDigits int    // … and its numDigits (0: until # or timeout)
}

// parseTwiML reads a TwiML document strictly: well-formed XML whose root is
// <Response>, nothing after it. Empty input is no document.
func parseTwiML(s string) (twimlDoc, error) {
	var doc twimlDoc
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	var (
		stack []string
		text  strings.Builder
		root  bool
		done  bool
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return doc, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if done {
				return doc, errors.New("content after </Response>")
			}
			if len(stack) == 0 {
				if t.Name.Local != "Response" {
					return doc, fmt.Errorf("the root element is <%s>, not <Response>", t.Name.Local)
				}
				root = true
			}
			switch t.Name.Local {
			case "Say", "Message":
				text.Reset()
			case "Gather":
				if !doc.hasGather {
					doc.hasGather = true
					for _, a := range t.Attr {
						switch a.Name.Local {
						case "action":
							doc.gatherAction = a.Value
						case "numDigits":
							n, err := strconv.Atoi(a.Value)
							if err != nil || n < 1 {
								return doc, fmt.Errorf("<Gather numDigits=%q> is not a positive number", a.Value)
							}
							doc.gatherDigits = n
						}
					}
				}
			}
			stack = append(stack, t.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			switch t.Name.Local {
			case "Say":
				doc.says = append(doc.says, strings.TrimSpace(text.String()))
			case "Message":
				doc.messages = append(doc.messages, strings.TrimSpace(text.String()))
			}
			if len(stack) == 0 {
				done = true
			}
		case xml.CharData:
			if len(stack) == 0 {
				if strings.TrimSpace(string(t)) != "" {
					return doc, errors.New("text outside <Response>")
				}
				continue
			}
			text.Write(t)
		}
	}
	if !root {
		return doc, errors.New("no <Response> element")
	}
	return doc, nil
}
