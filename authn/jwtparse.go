package authn

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/agentgate/agentgate/internal/jsontext"
	"github.com/golang-jwt/jwt/v5"
)

// parseUnverified decodes a compact JWT as jwt.Parser.ParseUnverified does
// with the default options (unpadded base64url, the header and claims as
// JSON objects, the signing method from "alg"), decoding the JSON with
// internal/jsontext, which gives json.Unmarshal's result at a fraction of
// its cost on the uncached path. The signature is verified by the caller.
// Errors wrap jwt.ErrTokenMalformed or jwt.ErrTokenUnverifiable, as the
// library's do.
func parseUnverified(cred string) (*jwt.Token, jwt.MapClaims, error) {
	h, rest, ok1 := strings.Cut(cred, ".")
	c, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.IndexByte(s, '.') >= 0 {
		return nil, nil, fmt.Errorf("%w: token contains an invalid number of segments", jwt.ErrTokenMalformed)
	}
	header, err := segmentObject(h)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: header: %w", jwt.ErrTokenMalformed, err)
	}
	claims, err := segmentObject(c)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: claims: %w", jwt.ErrTokenMalformed, err)
	}
	tok := &jwt.Token{Raw: cred, Header: header, Claims: jwt.MapClaims(claims)}
	alg, ok := header["alg"].(string)
	if !ok {
		return nil, nil, fmt.Errorf("%w: signing method (alg) is unspecified", jwt.ErrTokenUnverifiable)
	}
	if tok.Method = jwt.GetSigningMethod(alg); tok.Method == nil {
		return nil, nil, fmt.Errorf("%w: signing method (alg) is unavailable", jwt.ErrTokenUnverifiable)
	}
	if tok.Signature, err = base64.RawURLEncoding.DecodeString(s); err != nil {
		return nil, nil, fmt.Errorf("%w: signature: %w", jwt.ErrTokenMalformed, err)
	}
	return tok, tok.Claims.(jwt.MapClaims), nil
}

// segmentObject decodes one base64url segment holding a JSON object.
func segmentObject(seg string) (map[string]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, err
	}
	v, err := jsontext.Decode(string(b))
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a JSON object")
	}
	return m, nil
}
