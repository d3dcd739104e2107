package service

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
)

// StatusActive is the only registration status the contract documents: a
// registration that says anything else is not one the CLI may count on.
const StatusActive = "active"

// expectedStatus tells whether a 2xx status is the documented answer to
// method: 204 (or 200 with nothing in it) for a DELETE, 200 for the rest.
// A 201, a 202 (accepted, not done) or a 206 is not what the contract
// promises, and money is at stake: it is a bad response.
func expectedStatus(method string, status int) bool {
	if method == http.MethodDelete {
		return status == http.StatusNoContent || status == http.StatusOK
	}
	return status == http.StatusOK
}

// decodeStrict reads one JSON object into out (a pointer to a struct with
// json tags), refusing what encoding/json would quietly accept: a member
// given twice (decoders disagree on which one wins), a member of out spelt
// in another case ("Status", "API_KEY"), anything after the object.
// Members out does not name are ignored, as the contract allows.
//
// out of another kind (a slice, a map) is decoded as one JSON value with
// nothing after it; the member checks apply to struct answers only.
func decodeStrict(body []byte, out any) error {
	known := jsonNames(out)
	if known == nil {
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(out); err != nil {
			return errors.New("not the expected JSON")
		}
		if _, err := dec.Token(); err != io.EOF {
			return errors.New("something after the JSON value")
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errors.New("not JSON")
		}
		name, _ := tok.(string)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return errors.New("not JSON")
		}
		folded := strings.ToLower(name)
		if seen[folded] {
			return fmt.Errorf("member %q given twice", sanitizeText(name, 64))
		}
		seen[folded] = true
		if exact, ok := known[folded]; ok && exact != name {
			return fmt.Errorf("member %q is spelt %q", exact, sanitizeText(name, 64))
		}
	}
	if _, err := dec.Token(); err != nil {
		return errors.New("not JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("something after the JSON object")
	}
	if err := json.Unmarshal(body, out); err != nil {
		return errors.New("a member has the wrong type")
	}
	return nil
}

// jsonNames maps the lower-case form of each json name of out's struct to
// the name itself; nil when out is not a struct.
func jsonNames(out any) map[string]string {
	t := reflect.TypeOf(out)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	names := map[string]string{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names[strings.ToLower(name)] = name
	}
	return names
}

// checkRegistration holds a registration answer to the contract: the bot
// asked about, a key, the status "active" and a registration time.
func checkRegistration(op, path, bot string, r *Registration) error {
	switch {
	case r.Bot != bot:
		return fmt.Errorf("%s %s: the answer is for bot %q", op, path, sanitizeText(r.Bot, 64))
	case r.APIKey == "" || !cleanIdentifier(r.APIKey):
		return fmt.Errorf("%s %s: the answer names no usable API key", op, path)
	case r.Status != StatusActive:
		return fmt.Errorf("%s %s: the answer's status is %q, not %q", op, path, sanitizeText(r.Status, 32), StatusActive)
	case r.RegisteredAt.IsZero():
		return fmt.Errorf("%s %s: the answer has no registration time", op, path)
	}
	if err := checkLastCheck(r.LastCheck); err != nil {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	return nil
}

// cleanIdentifier tells whether s is letters and digits only, as API keys
// are: anything else from the service is not printed.
func cleanIdentifier(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return len(s) <= 128
}
