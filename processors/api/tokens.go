package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/olympus-cloud/pulse/events"
)

// Token is one configured API token: only the SHA-256 of its secret is
// held, never the secret.
type Token struct {
	// Name identifies the token in logs and metrics (never the secret).
	Name string
	// SHA256 is the lower-case hex SHA-256 of the bearer secret.
	SHA256 string
	// Tenants the token may read; AllTenants for every tenant.
	Tenants []string
}

// AllTenants as a token's only tenant scopes it to every tenant.
const AllTenants = "*"

// HashToken returns the hex SHA-256 of a bearer secret: what Token.SHA256
// holds (the same as `printf %s SECRET | sha256sum`).
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ParseTokens reads the PULSE_API_TOKENS format:
// "name:sha256hex:tenant1|tenant2;name2:sha256hex:*". Blank entries are
// ignored; every problem is reported at once.
func ParseTokens(s string) ([]Token, error) {
	var out []Token
	var errs []error
	for i, entry := range strings.Split(s, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		parts := strings.Split(entry, ":")
		if len(parts) != 3 {
			// The entry may hold a secret pasted by mistake: do not echo it.
			errs = append(errs, fmt.Errorf("api tokens: entry %d: want name:sha256hex:tenants", i+1))
			continue
		}
		t := Token{Name: strings.TrimSpace(parts[0]), SHA256: strings.ToLower(strings.TrimSpace(parts[1]))}
		for _, tn := range strings.Split(parts[2], "|") {
			if tn = strings.TrimSpace(tn); tn != "" {
				t.Tenants = append(t.Tenants, tn)
			}
		}
		out = append(out, t)
	}
	if err := validateTokens(out); err != nil {
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

func validateTokens(ts []Token) error {
	var errs []error
	names := map[string]bool{}
	hashes := map[string]bool{}
	for i, t := range ts {
		where := fmt.Sprintf("api token %d (%s)", i+1, t.Name)
		if t.Name == "" {
			errs = append(errs, fmt.Errorf("api token %d: empty name", i+1))
		} else if names[t.Name] {
			errs = append(errs, fmt.Errorf("%s: duplicate name", where))
		}
		names[t.Name] = true
		if b, err := hex.DecodeString(t.SHA256); err != nil || len(b) != sha256.Size {
			errs = append(errs, fmt.Errorf("%s: the hash must be 64 hex digits (the SHA-256 of the secret, not the secret)", where))
		} else if hashes[strings.ToLower(t.SHA256)] {
			errs = append(errs, fmt.Errorf("%s: the same secret as another token", where))
		}
		hashes[strings.ToLower(t.SHA256)] = true
		if len(t.Tenants) == 0 {
			errs = append(errs, fmt.Errorf("%s: no tenants (use * for all)", where))
		}
		for _, tn := range t.Tenants {
			if tn != AllTenants && !events.ValidTenantID(tn) {
				errs = append(errs, fmt.Errorf("%s: tenant %q is not a valid tenant id", where, tn))
			}
		}
		if slices.Contains(t.Tenants, AllTenants) && len(t.Tenants) > 1 {
			errs = append(errs, fmt.Errorf("%s: * cannot be combined with named tenants", where))
		}
	}
	return errors.Join(errs...)
}

// principal is an authenticated token.
type principal struct {
	name    string
	all     bool
	tenants map[string]bool
	index   int
}

func (p *principal) allows(tenant string) bool { return p.all || p.tenants[tenant] }

// keyring checks bearer secrets against the configured hashes.
type keyring struct {
	hashes [][]byte
	ps     []*principal
}

func newKeyring(ts []Token) *keyring {
	k := &keyring{}
	for i, t := range ts {
		b, _ := hex.DecodeString(strings.ToLower(t.SHA256)) // validated
		p := &principal{name: t.Name, tenants: map[string]bool{}, index: i}
		for _, tn := range t.Tenants {
			if tn == AllTenants {
				p.all = true
			}
			p.tenants[tn] = true
		}
		k.hashes = append(k.hashes, b)
		k.ps = append(k.ps, p)
	}
	return k
}

// lookup returns the principal of a secret. Every configured hash is
// compared in constant time, so timing says nothing about which matched.
func (k *keyring) lookup(secret string) *principal {
	sum := sha256.Sum256([]byte(secret))
	var found *principal
	for i, h := range k.hashes {
		if subtle.ConstantTimeCompare(sum[:], h) == 1 {
			found = k.ps[i]
		}
	}
	return found
}
