package evidence

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
)

// The key files are PEM, as OpenSSL writes them:
//
//	openssl genpkey -algorithm ed25519 -out evidence.key     # PRIVATE KEY, PKCS #8
//	openssl pkey -in evidence.key -pubout -out evidence.pub  # PUBLIC KEY, PKIX (SubjectPublicKeyInfo)
//
// GenerateKeyFiles writes the same pair.

// maxKeyFile bounds a key file; an Ed25519 PEM key is about 120 bytes.
const maxKeyFile = 64 << 10

// parsePrivateKey reads an Ed25519 private key from PEM (PKCS #8, "PRIVATE KEY").
func parsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	der, err := pemBlock(data, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("not a PKCS #8 private key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an Ed25519 key (make one with: openssl genpkey -algorithm ed25519)", k)
	}
	return priv, nil
}

// parsePublicKey reads an Ed25519 public key from PEM (PKIX, "PUBLIC KEY").
func parsePublicKey(data []byte) (ed25519.PublicKey, error) {
	der, err := pemBlock(data, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("not a PKIX public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an Ed25519 key", k)
	}
	return pub, nil
}

func pemBlock(data []byte, typ string) ([]byte, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("no PEM block %q found", typ)
		}
		if b.Type == typ {
			return b.Bytes, nil
		}
	}
}

// LoadPrivateKey reads the private key file at path (evidence.signing_key_file).
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	data, err := readKey(path)
	if err != nil {
		return nil, err
	}
	k, err := parsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	return k, nil
}

// LoadPublicKey reads the public key file at path.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := readKey(path)
	if err != nil {
		return nil, err
	}
	k, err := parsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", path, err)
	}
	return k, nil
}

func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("key file %s: larger than a key", path)
	}
	return data, nil
}

// GenerateKeyFiles makes a new Ed25519 key pair: the private key at path
// (PKCS #8 PEM, mode 0600; an existing file is never overwritten) and the
// public key at path+".pub" (PKIX PEM), and returns the public key.
func GenerateKeyFiles(path string) (ed25519.PublicKey, error) {
	for _, p := range []string{path, path + ".pub"} {
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("%s already exists; not overwriting a key", p)
		}
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		path string
		typ  string
		der  []byte
		mode os.FileMode
	}{{path, "PRIVATE KEY", der, 0o600}, {path + ".pub", "PUBLIC KEY", pubDER, 0o644}} {
		if err := writeNew(f.path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), f.mode); err != nil {
			return nil, err
		}
	}
	return pub, nil
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s already exists; not overwriting a key", path)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
