package seal

import (
	"bytes"
	"crypto/hpke"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestSealOpenRoundTrip(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
	sealed, err := Seal(k.Public(), "btc-spot", "KEY", "HMAC", secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatal("sealed form contains the secret")
	}
	got, err := Open(k, "btc-spot", "KEY", "HMAC", sealed)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	// Bound to bot, key and type: any change refuses to open.
	for _, c := range [][3]string{{"eth-spot", "KEY", "HMAC"}, {"btc-spot", "KEY2", "HMAC"}, {"btc-spot", "KEY", "ED25519"},
		{"btc-spot\x00KEY", "", "HMAC"}} {
		if _, err := Open(k, c[0], c[1], c[2], sealed); !errors.Is(err, ErrOpen) {
			t.Errorf("Open(%q) = %v, want ErrOpen", c, err)
		}
	}
	other, _ := GenerateKey()
	if _, err := Open(other, "btc-spot", "KEY", "HMAC", sealed); !errors.Is(err, ErrOpen) {
		t.Errorf("another key opened it: %v", err)
	}
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	if _, err := Open(k, "btc-spot", "KEY", "HMAC", tampered); !errors.Is(err, ErrOpen) {
		t.Errorf("tampered opened: %v", err)
	}
	if _, err := Open(k, "btc-spot", "KEY", "HMAC", sealed[:10]); !errors.Is(err, ErrOpen) {
		t.Errorf("truncated opened: %v", err)
	}
}

// The wire format is plain RFC 9180: a sealed secret made with crypto/hpke
// directly, from the published description alone, opens.
func TestWireFormatInterop(t *testing.T) {
	k, _ := GenerateKey()
	vk := k.Public().Describe()
	if vk.KEM != 25722 || vk.KDF != 1 || vk.AEAD != 3 || len(vk.KeyID) != 32 {
		t.Fatalf("description = %+v", vk)
	}
	raw, _ := base64.StdEncoding.DecodeString(vk.PublicKey)
	kemv, _ := hpke.NewKEM(vk.KEM)
	kdfv, _ := hpke.NewKDF(vk.KDF)
	aeadv, _ := hpke.NewAEAD(vk.AEAD)
	pub, err := kemv.NewPublicKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	info := []byte("smartradex/v1 binance-secret\x00btc-spot\x00AK\x00HMAC")
	ct, err := hpke.Seal(pub, kdfv, aeadv, info, []byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Open(k, "btc-spot", "AK", "HMAC", ct)
	if err != nil || string(got) != "s3cret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
}

func TestPrivateKeyText(t *testing.T) {
	k, _ := GenerateKey()
	text, err := k.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSuffix(string(text), "\n")
	if strings.Contains(line, "\n") {
		t.Fatal("not one line")
	}
	raw, _ := base64.StdEncoding.DecodeString(line)
	if len(raw) != 32 {
		t.Fatalf("serialized private key is %d bytes, want the 32-byte seed", len(raw))
	}
	k2, err := ParsePrivateKey([]byte("  " + line + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if k2.Public().ID() != k.Public().ID() {
		t.Fatal("parsed key differs")
	}
	// Marshalling leaves the key whole: the same text every time.
	if again, err := k.MarshalText(); err != nil || string(again) != string(text) {
		t.Fatalf("MarshalText a second time = %q, %v; want the first text", again, err)
	}
	if k3, err := ParsePrivateKey(text); err != nil || k3.Public().ID() != k.Public().ID() {
		t.Fatalf("the first text no longer parses to the key: %v", err)
	}
	if strings.Contains(k.String(), line) || strings.Contains(k.GoString(), line) {
		t.Fatal("String shows the key")
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString([]byte("short"))} {
		if _, err := ParsePrivateKey([]byte(bad)); err == nil {
			t.Errorf("ParsePrivateKey(%q) accepted", bad)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("error echoes the input: %v", err)
		}
	}
}

func TestVaultKeyParse(t *testing.T) {
	k, _ := GenerateKey()
	good := k.Public().Describe()
	p, err := good.Parse()
	if err != nil || p.ID() != k.Public().ID() {
		t.Fatalf("Parse = %v, %v", p, err)
	}
	other, _ := GenerateKey()
	cases := map[string]func(v *VaultKey){
		"kem":        func(v *VaultKey) { v.KEM = 0x20 },
		"kdf":        func(v *VaultKey) { v.KDF = 2 },
		"aead":       func(v *VaultKey) { v.AEAD = 1 },
		"id":         func(v *VaultKey) { v.KeyID = other.Public().ID() },
		"base64":     func(v *VaultKey) { v.PublicKey = "%%%" },
		"short":      func(v *VaultKey) { v.PublicKey = base64.StdEncoding.EncodeToString([]byte("x")) },
		"url base64": func(v *VaultKey) { v.PublicKey = base64.URLEncoding.EncodeToString(k.Public().Bytes()) + "-_" },
	}
	for name, mut := range cases {
		v := good
		mut(&v)
		if _, err := v.Parse(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
