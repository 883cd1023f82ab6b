#!/bin/bash
# keys-corpus.sh DIR - generate a key-material corpus at test time (never committed)
# DIR/k/ holds key material, DIR/d/ decoys that must not be flagged, and
# DIR/expected.tsv one line per key file:
#   path<TAB>format<TAB>encrypted<TAB>spki_sha256<TAB>ssh_fingerprint<TAB>k=v ...
# where '-' means "must be null" and '*' "not checked"; extras are algorithm,
# bits, luks_uuid, pgp_fingerprint, principal, decoded (true unless given), reason. Expected fingerprints come from
# openssl, ssh-keygen, puttygen, gpg, keytool and cryptsetup, never from dispose.
# Used by tests/unit/test_keys.c and tests/integration/t_keys_corpus.sh.
set -euo pipefail
D=$1
mkdir -p "$D/k" "$D/d" "$D/tmp"
K=$D/k X=$D/d W=$D/tmp
E=$D/expected.tsv
: >"$E"
exp() {
	local a IFS=$'\t'
	for a in "$@"; do
		case $a in ''|*=) echo "keys-corpus: empty expected value for $1" >&2; exit 1 ;; esac
	done
	echo "$*" >>"$E"
}
q() { "$@" </dev/null >/dev/null 2>&1; }

# SHA-256 of the DER SubjectPublicKeyInfo, as an auditor would compute it
spki() { openssl pkey -in "$1" -passin pass: -pubout -outform DER | sha256sum | cut -d' ' -f1; }
spki_pub() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
# ssh-keygen -lf; a .pub sidecar would be printed instead, so none is left next to a key
sshfp() { ssh-keygen -lf "$1" </dev/null | awk '{print $2}'; }
# SPKI of an OpenSSH public key, through ssh-keygen's PKCS#8 export (RSA/ECDSA)
spki_ssh() { ssh-keygen -e -m PKCS8 -f "$1" </dev/null >"$W/p.pem" && spki_pub "$W/p.pem"; }
# SPKI of an ssh-ed25519 public key line: fixed DER prefix + the 32 key bytes
spki_ssh_ed() {
	awk '{print $2}' "$1" | base64 -d | tail -c 32 >"$W/ed.raw"
	{ printf '\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00'; cat "$W/ed.raw"; } |
		sha256sum | cut -d' ' -f1
}

# ---- OpenSSL key forms: RSA, EC P-256, Ed25519 ----
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/rsa.p8.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$K/ec.p8.pem"
openssl genpkey -algorithm ED25519 -out "$K/ed.p8.pem"
for a in rsa ec ed; do
	openssl pkcs8 -topk8 -in "$K/$a.p8.pem" -v2 aes-256-cbc -passout pass:pw -out "$K/$a.enc.pem"
	openssl pkcs8 -topk8 -in "$K/$a.p8.pem" -v2 aes-256-cbc -passout pass:pw -outform DER -out "$K/$a.enc.der"
	openssl pkcs8 -topk8 -nocrypt -in "$K/$a.p8.pem" -outform DER -out "$K/$a.p8.der"
done
q openssl rsa -in "$K/rsa.p8.pem" -traditional -out "$K/rsa.p1.pem"
q openssl rsa -in "$K/rsa.p8.pem" -traditional -outform DER -out "$K/rsa.p1.der"
q openssl rsa -in "$K/rsa.p8.pem" -traditional -aes256 -passout pass:pw -out "$K/rsa.dek.pem"
q openssl ec -in "$K/ec.p8.pem" -out "$K/ec.sec1.pem"
q openssl ec -in "$K/ec.p8.pem" -outform DER -out "$K/ec.sec1.der"
openssl ecparam -genkey -name secp384r1 -out "$K/ec384.params-first.pem"
RSA=$(spki "$K/rsa.p8.pem") EC=$(spki "$K/ec.p8.pem") ED=$(spki "$K/ed.p8.pem")
RSASSH=$(sshfp "$K/rsa.p1.pem") ECSSH=$(sshfp "$K/ec.sec1.pem")
exp rsa.p8.pem pem-pkcs8 false "$RSA" "$RSASSH" algorithm=rsa bits=2048
exp rsa.p1.pem pem-pkcs1 false "$RSA" "$RSASSH" algorithm=rsa bits=2048
exp rsa.p8.der der-pkcs8 false "$RSA" "$RSASSH" algorithm=rsa
exp rsa.p1.der der-pkcs1 false "$RSA" "$RSASSH" algorithm=rsa
exp rsa.enc.pem pem-pkcs8-encrypted true - - algorithm=-
exp rsa.enc.der der-pkcs8-encrypted true - -
exp rsa.dek.pem pem-pkcs1 true - - algorithm=rsa
exp ec.p8.pem pem-pkcs8 false "$EC" "$ECSSH" algorithm=ec-P-256 bits=256
exp ec.sec1.pem pem-sec1 false "$EC" "$ECSSH" algorithm=ec-P-256
exp ec.p8.der der-pkcs8 false "$EC" "$ECSSH"
exp ec.sec1.der der-sec1 false "$EC" "$ECSSH"
exp ec.enc.pem pem-pkcs8-encrypted true - -
exp ec.enc.der der-pkcs8-encrypted true - -
exp ec384.params-first.pem pem-sec1 false "$(spki "$K/ec384.params-first.pem")" '*' \
	algorithm=ec-P-384 bits=384
# DSA: parameters block first, then the key; and the traditional forms
openssl dsaparam -genkey -out "$K/dsa.params-first.pem" 1024 2>/dev/null
q openssl pkey -in "$K/dsa.params-first.pem" -traditional -out "$K/dsa.pem"
q openssl dsa -in "$K/dsa.params-first.pem" -outform DER -out "$K/dsa.der"
DSA=$(spki "$K/dsa.pem")
exp dsa.params-first.pem pem-pkcs8 false "$DSA" '*' algorithm=dsa bits=1024
exp dsa.pem pem-dsa false "$DSA" '*' algorithm=dsa bits=1024
exp dsa.der der-dsa false "$DSA" '*' algorithm=dsa
exp ed.p8.pem pem-pkcs8 false "$ED" '*' algorithm=ed25519 bits=256
exp ed.p8.der der-pkcs8 false "$ED" '*' algorithm=ed25519
exp ed.enc.pem pem-pkcs8-encrypted true - -
exp ed.enc.der der-pkcs8-encrypted true - -

# other PKCS#8 key types: no OpenSSH form, so no ssh_fingerprint
openssl genpkey -algorithm ED448 -out "$K/ed448.p8.pem"
openssl genpkey -algorithm X25519 -out "$K/x25519.p8.pem"
openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out "$K/rsapss.p8.pem" 2>/dev/null
exp ed448.p8.pem pem-pkcs8 false "$(spki "$K/ed448.p8.pem")" - algorithm=ed448 bits=448
exp x25519.p8.pem pem-pkcs8 false "$(spki "$K/x25519.p8.pem")" - algorithm=x25519 bits=256
exp rsapss.p8.pem pem-pkcs8 false "$(spki "$K/rsapss.p8.pem")" - algorithm=rsa-pss bits=2048

# a PKCS#8 key of an algorithm OpenSSL 3.0 cannot load (private OID, random key bytes)
python3 - "$K/unknown-alg.p8.der" <<'PY'
import os, sys
def tlv(t, b):
    n = len(b)
    return bytes([t]) + (bytes([n]) if n < 128 else bytes([0x81, n])) + b
oid = tlv(0x06, bytes.fromhex("2b0601040182b25f0101"))   # 1.3.6.1.4.1.39263.1.1
der = tlv(0x30, tlv(0x02, b"\x00") + tlv(0x30, oid) + tlv(0x04, os.urandom(64)))
open(sys.argv[1], "wb").write(der)
PY
openssl pkcs8 -in "$K/unknown-alg.p8.der" -inform DER -nocrypt -out /dev/null 2>/dev/null &&
	{ echo "keys-corpus: OpenSSL now loads the private OID" >&2; exit 1; }
{ echo "-----BEGIN PRIVATE KEY-----"; base64 -w64 "$K/unknown-alg.p8.der"; echo "-----END PRIVATE KEY-----"; } >"$K/unknown-alg.p8.pem"
exp unknown-alg.p8.der der-pkcs8 false - - algorithm=1.3.6.1.4.1.39263.1.1
exp unknown-alg.p8.pem pem-pkcs8 false - - algorithm=1.3.6.1.4.1.39263.1.1

# a server bundle: certificates first (past the first 8 KiB), the key last
openssl req -x509 -key "$K/rsa.p8.pem" -subj /CN=corpus.example -days 2 -out "$W/cert.pem" 2>/dev/null
for i in 1 2 3 4 5 6 7 8; do cat "$W/cert.pem"; done >"$K/bundle.pem"
cat "$K/rsa.p1.pem" >>"$K/bundle.pem"
exp bundle.pem pem-pkcs1 false "$RSA" "$RSASSH"
# indented in YAML (a Kubernetes-style manifest)
{ echo "tls:"; echo "  key: |"; sed 's/^/    /' "$K/ec.sec1.pem"; } >"$K/manifest.yaml"
exp manifest.yaml pem-sec1 false "$EC" "$ECSSH"
# JSON-escaped in a cloud service-account file, and in a source-code string
python3 - "$K/rsa.p8.pem" "$K/service-account.json" <<'PY'
import json, sys
key = open(sys.argv[1]).read()
json.dump({"type": "service_account", "project_id": "corpus", "private_key_id": "0",
           "private_key": key, "client_email": "sa@corpus.example"}, open(sys.argv[2], "w"), indent=2)
PY
exp service-account.json pem-pkcs8 false "$RSA" "$RSASSH"
{ echo 'import ssl'; printf 'KEY = b"""'; cat "$K/ec.sec1.pem"; echo '"""'; } >"$K/fixture.py"
exp fixture.py pem-sec1 false "$EC" "$ECSSH"

# base64 of whole PEM files: a kubeconfig (key after two certificates) and a wrapped Secret
b64() { base64 -w0 "$1"; }
cat >"$K/kubeconfig" <<EOF
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: $(b64 "$W/cert.pem")
    server: https://10.0.0.1:6443
  name: corpus
users:
- name: admin
  user:
    client-certificate-data: $(b64 "$W/cert.pem")
    client-key-data: $(b64 "$K/rsa.p1.pem")
EOF
exp kubeconfig base64-pem false "$RSA" "$RSASSH" algorithm=rsa
{ echo "apiVersion: v1"; echo "kind: Secret"; echo "data:"; echo "  tls.key: |"
  base64 "$K/ec.sec1.pem" | sed 's/^/    /'; echo "type: kubernetes.io/tls"; } >"$K/secret.yaml"
exp secret.yaml base64-pem false "$EC" "$ECSSH" algorithm=ec-P-256

# ---- OpenSSH keys, plain and passphrase-protected ----
ssh-keygen -q -t ed25519 -N '' -C t -f "$K/id_ed25519"
ssh-keygen -q -t rsa -b 2048 -N '' -C t -f "$K/id_rsa"
ssh-keygen -q -t ecdsa -N 'pw' -C t -f "$K/id_ecdsa_enc"
ssh-keygen -q -t ed25519 -N 'pw' -C t -f "$K/id_ed25519_enc"
for f in id_ed25519 id_rsa id_ecdsa_enc id_ed25519_enc; do mv "$K/$f.pub" "$X/$f.pub"; done
exp id_ed25519 openssh false "$(spki_ssh_ed "$X/id_ed25519.pub")" "$(sshfp "$K/id_ed25519")" algorithm=ed25519 bits=256
exp id_rsa openssh false "$(spki_ssh "$X/id_rsa.pub")" "$(sshfp "$K/id_rsa")" algorithm=rsa bits=2048
exp id_ecdsa_enc openssh true "$(spki_ssh "$X/id_ecdsa_enc.pub")" "$(sshfp "$K/id_ecdsa_enc")" algorithm=ec-P-256
exp id_ed25519_enc openssh true "$(spki_ssh_ed "$X/id_ed25519_enc.pub")" "$(sshfp "$K/id_ed25519_enc")" algorithm=ed25519
# an ssh-keygen -m PEM key is PKCS#1
ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C t -f "$K/id_rsa_pem"
mv "$K/id_rsa_pem.pub" "$X/"
exp id_rsa_pem pem-pkcs1 false "$(spki "$K/id_rsa_pem")" "$(sshfp "$K/id_rsa_pem")" algorithm=rsa

# ---- PKCS#12 ----
openssl pkcs12 -export -inkey "$K/rsa.p8.pem" -in "$W/cert.pem" -passout pass: -out "$K/nopass.p12"
openssl pkcs12 -export -inkey "$K/ec.p8.pem" -in "$W/cert.pem" -passout pass:pw -out "$K/pass.p12" 2>/dev/null || true
openssl req -x509 -key "$K/ec.p8.pem" -subj /CN=ec.example -days 2 -out "$W/eccert.pem"
openssl pkcs12 -export -inkey "$K/ec.p8.pem" -in "$W/eccert.pem" -passout pass:pw -out "$K/pass.p12"
exp nopass.p12 pkcs12 false "$RSA" "$RSASSH" algorithm=rsa
exp pass.p12 pkcs12 true - -

# ---- Java keystores ----
keytool -genkeypair -storetype JKS -keystore "$K/store.jks" -storepass changeit -keypass changeit \
	-alias srv -keyalg EC -groupname secp256r1 -dname CN=jks.example >/dev/null 2>&1
keytool -exportcert -rfc -keystore "$K/store.jks" -storepass changeit -alias srv 2>/dev/null |
	openssl x509 -pubkey -noout >"$W/jks.pub"
exp store.jks jks true "$(spki_pub "$W/jks.pub")" '*' algorithm=ec-P-256
keytool -genseckey -storetype JCEKS -keystore "$K/secret.jceks" -storepass changeit -keypass changeit \
	-alias s -keyalg AES -keysize 128 >/dev/null 2>&1
exp secret.jceks jceks true - - algorithm=secret

# ---- GnuPG: private-keys-v1.d entries and exported secret keys ----
export GNUPGHOME=$W/gnupg
mkdir -m 700 "$GNUPGHOME"
gpgq() { gpg --batch --pinentry-mode loopback "$@" </dev/null >/dev/null 2>&1; }
gpgq --passphrase '' --quick-gen-key 'Ed <ed@example.org>' ed25519 sign never
gpgq --passphrase 'pw' --quick-gen-key 'Rsa <rsa@example.org>' rsa2048 sign never
fpr() { gpg --with-colons --list-keys "$1" 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}'; }
grp() { gpg --with-colons --with-keygrip --list-keys "$1" 2>/dev/null | awk -F: '/^grp/ {print $10; exit}'; }
EDF=$(fpr ed@example.org) RSF=$(fpr rsa@example.org)
gpg --export-ssh-key "$EDF!" >"$W/gpg-ed.pub" 2>/dev/null
gpg --export-ssh-key "$RSF!" >"$W/gpg-rsa.pub" 2>/dev/null
mkdir -p "$K/private-keys-v1.d"
cp "$GNUPGHOME/private-keys-v1.d/$(grp ed@example.org).key" "$K/private-keys-v1.d/ed.key"
cp "$GNUPGHOME/private-keys-v1.d/$(grp rsa@example.org).key" "$K/private-keys-v1.d/rsa.key"
GED=$(spki_ssh_ed "$W/gpg-ed.pub") GRS=$(spki_ssh "$W/gpg-rsa.pub")
exp private-keys-v1.d/ed.key gnupg-private-key false "$GED" "$(sshfp "$W/gpg-ed.pub")" algorithm=ed25519
exp private-keys-v1.d/rsa.key gnupg-private-key true "$GRS" "$(sshfp "$W/gpg-rsa.pub")" algorithm=rsa bits=2048
gpg --batch --pinentry-mode loopback --passphrase '' --armor --export-secret-keys "$EDF" >"$K/ed-secret.asc" 2>/dev/null
gpg --batch --pinentry-mode loopback --passphrase 'pw' --export-secret-keys "$RSF" >"$K/rsa-secret.gpg" 2>/dev/null
exp ed-secret.asc pgp-armored false "$GED" '*' algorithm=ed25519 pgp_fingerprint="$EDF"
exp rsa-secret.gpg pgp-binary true "$GRS" '*' algorithm=rsa pgp_fingerprint="$RSF"
gpg --armor --export "$EDF" >"$X/ed-public.asc" 2>/dev/null
gpg --export "$RSF" >"$X/rsa-public.gpg" 2>/dev/null
gpgconf --kill gpg-agent 2>/dev/null || true
unset GNUPGHOME

# ---- PuTTY ----
: >"$W/empty"; echo pw >"$W/pw"
puttygen -q -t ed25519 -C t --new-passphrase "$W/empty" -o "$K/ed.ppk"
puttygen -q -t rsa -b 2048 -C t --new-passphrase "$W/pw" -o "$K/rsa-enc.ppk"
puttygen -q "$K/rsa-enc.ppk" --old-passphrase "$W/pw" -O public-openssh -o "$W/ppk-rsa.pub"
puttygen -q "$K/ed.ppk" -O public-openssh -o "$W/ppk-ed.pub"
puttygen -q "$K/ed.ppk" -O public -o "$X/ed-ppk.pub"
pfp() { puttygen -l -E sha256 "$1" 2>/dev/null | awk '{print $3}'; }
exp ed.ppk putty false "$(spki_ssh_ed "$W/ppk-ed.pub")" "$(pfp "$K/ed.ppk")" algorithm=ed25519
exp rsa-enc.ppk putty true "$(spki_ssh "$W/ppk-rsa.pub")" "$(pfp "$K/rsa-enc.ppk")" algorithm=rsa bits=2048

# ---- LUKS header backups (LUKS2 and LUKS1) ----
for v in luks2 luks1; do
	truncate -s 32M "$W/$v.img"
	printf pw | cryptsetup luksFormat --batch-mode --type $v --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 "$W/$v.img" - >/dev/null
	cryptsetup luksHeaderBackup "$W/$v.img" --header-backup-file "$K/$v-header.img"
	chmod 600 "$K/$v-header.img"
	exp $v-header.img luks true - - luks_uuid="$(cryptsetup luksUUID "$K/$v-header.img")" \
		algorithm=aes-xts-plain64 bits=512
	rm -f "$W/$v.img"
done
# the same LUKS2 header with its primary copy wiped: the secondary still holds the keyslots
cp "$K/luks2-header.img" "$K/luks2-primary-wiped.img"
dd if=/dev/zero of="$K/luks2-primary-wiped.img" bs=4096 count=1 conv=notrunc status=none
exp luks2-primary-wiped.img luks true - - luks_uuid="$(cryptsetup luksUUID "$K/luks2-header.img")" \
	algorithm=aes-xts-plain64 bits=512
# the primary copy's UUID changed without its checksum: libcryptsetup reads the valid secondary
cp "$K/luks2-header.img" "$K/luks2-primary-tampered.img"
python3 - "$K/luks2-primary-tampered.img" <<'PY'
import sys
f = open(sys.argv[1], "r+b"); f.seek(168); c = f.read(1)
f.seek(168); f.write(b"0" if c != b"0" else b"1")
PY
exp luks2-primary-tampered.img luks true - - luks_uuid="$(cryptsetup luksUUID "$K/luks2-header.img")" \
	algorithm=aes-xts-plain64 bits=512
# both copies' JSON changed: no checksum holds, nothing is claimed from it
cp "$K/luks2-header.img" "$K/luks2-badsum.img"
printf X | dd of="$K/luks2-badsum.img" bs=1 seek=$((4096 + 2)) conv=notrunc status=none
printf X | dd of="$K/luks2-badsum.img" bs=1 seek=$((16384 + 4096 + 2)) conv=notrunc status=none
exp luks2-badsum.img luks - - - decoded=false algorithm=- bits=- luks_uuid=-

# ---- Kerberos keytab (v2), written by hand: two entries, random keys ----
python3 - "$K/krb5.keytab" <<'PY'
import os, struct, sys
def s(b): return struct.pack(">H", len(b)) + b
def entry(comps, realm, enctype, key):
    body = struct.pack(">H", len(comps)) + s(realm) + b"".join(s(c) for c in comps)
    body += struct.pack(">IIBH", 1, 1700000000, 3, enctype) + s(key) + struct.pack(">I", 3)
    return struct.pack(">i", len(body)) + body
with open(sys.argv[1], "wb") as f:
    f.write(b"\x05\x02")
    f.write(entry([b"alice"], b"EXAMPLE.ORG", 18, os.urandom(32)))
    f.write(entry([b"host", b"srv.example.org"], b"EXAMPLE.ORG", 17, os.urandom(16)))
PY
exp krb5.keytab krb5-keytab false - - principal=alice@EXAMPLE.ORG algorithm=aes256-cts-hmac-sha1-96 bits=256

# ---- WireGuard (wg-quick and systemd-networkd), key made by openssl ----
openssl genpkey -algorithm X25519 -out "$W/wg.pem"
WGPRIV=$(openssl pkey -in "$W/wg.pem" -outform DER | tail -c 32 | base64)
printf '[Interface]\nAddress = 10.9.0.1/24\nListenPort = 51820\nPrivateKey = %s\n\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.9.0.2/32\n' \
	"$WGPRIV" "$(head -c 32 /dev/urandom | base64)" >"$K/wg0.conf"
printf '[NetDev]\nName=wg1\nKind=wireguard\n\n[WireGuard]\nPrivateKey=%s\nListenPort=51821\n' \
	"$WGPRIV" >"$K/wg1.netdev"
WG=$(spki "$W/wg.pem")
exp wg0.conf wireguard false "$WG" - algorithm=x25519 bits=256
exp wg1.netdev wireguard false "$WG" - algorithm=x25519
# a peer's config that names its key file: a reference, not a key
printf '[NetDev]\nName=wg2\nKind=wireguard\n\n[WireGuard]\nPrivateKeyFile=/etc/wg.key\n\n[WireGuardPeer]\nPublicKey=%s\n' \
	"$(head -c 32 /dev/urandom | base64)" >"$X/wg2.netdev"

# ---- formats recognised by their structure only (random secrets made here) ----
python3 - "$K" <<'PY'
import base64, os, sys
k = sys.argv[1]
def w(name, data, mode="w"):
    with open(os.path.join(k, name), mode) as f:
        f.write(data)
hexkey = "\n".join(os.urandom(16).hex() for _ in range(16))
w("ta.key", "#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----\n"
  + hexkey + "\n-----END OpenVPN Static key V1-----\n")
b64 = lambda n: "\n".join(base64.b64encode(os.urandom(n)).decode()[i:i + 64] for i in range(0, 4 * ((n + 2) // 3), 64))
w("client.tls-crypt-v2", "-----BEGIN OpenVPN tls-crypt-v2 client key-----\n" + b64(300)
  + "\n-----END OpenVPN tls-crypt-v2 client key-----\n")
w("tpm.key", "-----BEGIN TSS2 PRIVATE KEY-----\n" + b64(200) + "\n-----END TSS2 PRIVATE KEY-----\n")
bech = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
w("age.key", "# created: 2026-11-28T00:00:00Z\n# public key: age1" + "".join(bech[b % 32] for b in os.urandom(58))
  + "\nAGE-SECRET-KEY-1" + "".join(bech[b % 32] for b in os.urandom(58)).upper() + "\n")
w("db.kdbx", bytes.fromhex("03d9a29a67fb4bb5") + b"\x01\x00\x04\x00" + os.urandom(200), "wb")
w("hs_ed25519_secret_key", b"== ed25519v1-secret: type0 ==\x00\x00\x00" + os.urandom(64), "wb")
w("Kexample.org.+013+12345.private", "Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: "
  + base64.b64encode(os.urandom(32)).decode() + "\n")
w("signify.sec", "untrusted comment: signify secret key\n" + base64.b64encode(b"EdBK" + os.urandom(100)).decode() + "\n")
PY
exp ta.key openvpn-static false - - algorithm=openvpn-static bits=2048
exp client.tls-crypt-v2 openvpn-tls-crypt-v2 false - -
exp tpm.key tpm2-tss true - -
exp age.key age false - -
exp db.kdbx keepass true - -
exp hs_ed25519_secret_key tor false - -
exp Kexample.org.+013+12345.private dnssec-private false - -
exp signify.sec signify '*' - -

# ---- key material that does not decode: listed with decoded=false, never dropped ----
U='decoded=false algorithm=- bits=-'
# the start of a PKCS#8 RSA key, cut short
printf -- '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n' >"$K/truncated.pem"
exp truncated.pem pem-pkcs8 - - - $U "reason=does not decode"
# a whole key with its first body line damaged (the DER header no longer parses)
awk 'NR == 2 { $0 = "AAAA" substr($0, 5) } { print }' "$K/ec.sec1.pem" >"$K/corrupt.pem"
exp corrupt.pem pem-sec1 - - - $U
# OpenSSH keys cut short: without END, and with END after the public part
head -c 300 "$K/id_ed25519" >"$K/id_ed25519.truncated"
{ head -n 3 "$K/id_rsa"; tail -n 1 "$K/id_rsa"; } >"$K/id_rsa.cut"
exp id_ed25519.truncated openssh - - - $U
exp id_rsa.cut openssh - - - $U
# a whole OpenSSH key whose public key blob is damaged (its type length is huge)
python3 - "$K/id_ed25519" "$K/id_ed25519.badblob" <<'PY'
import base64, struct, sys
lines = open(sys.argv[1]).read().splitlines()
b = bytearray(base64.b64decode("".join(lines[1:-1])))
o = 15
for _ in range(3):
    o += 4 + struct.unpack(">I", b[o:o + 4])[0]   # cipher, kdf, kdf options
o += 4 + 4                                         # nkeys, length of the public blob
b[o:o + 4] = struct.pack(">I", 0x2007)              # the blob's key type length
t = base64.b64encode(bytes(b)).decode()
open(sys.argv[2], "w").write(lines[0] + "\n" + "\n".join(t[i:i + 70] for i in range(0, len(t), 70))
                             + "\n" + lines[-1] + "\n")
PY
exp id_ed25519.badblob openssh - - - $U "reason=public key blob does not parse"
# an SEC1 EC key (DER) on a curve no one knows: every element parses, the key does not
python3 - "$K/ec-unknown-curve.der" <<'PY'
import os, sys
def tlv(t, b):
    return bytes([t, len(b)]) + b
oid = tlv(0x06, bytes.fromhex("2b0601040182b25f0102"))   # 1.3.6.1.4.1.39263.1.2
open(sys.argv[1], "wb").write(tlv(0x30, tlv(0x02, b"\x01") + tlv(0x04, os.urandom(32)) + tlv(0xa0, oid)))
PY
exp ec-unknown-curve.der der-sec1 - - - $U
# a Java keystore cut inside its key entry; a LUKS2 header with a garbled UUID
head -c 100 "$K/store.jks" >"$K/store.jks.truncated"
exp store.jks.truncated jks - - - $U
python3 -c 'import sys; sys.stdout.buffer.write(b"LUKS\xba\xbe\x00\x02" + bytes([1]) * 4088)' >"$K/luks-garbled.img"
exp luks-garbled.img luks - - - $U luks_uuid=-
# OpenPGP secret keys GnuPG 2.2 cannot write: v6 (RFC 9580), v5 (LibrePGP), and a v4
# key of the RFC 9580 Ed25519 algorithm; binary and armored, crafted byte by byte
python3 - "$K" <<'PY'
import base64, os, struct, sys
k = sys.argv[1]
def pkt(tag, body):
    return bytes([0xc0 | tag, 255]) + struct.pack(">I", len(body)) + body
def crc24(d):
    c = 0xb704ce
    for b in d:
        c ^= b << 16
        for _ in range(8):
            c <<= 1
            if c & 0x1000000: c ^= 0x1864cfb
    return c & 0xffffff
def armor(d):
    b = base64.b64encode(d).decode()
    return ("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n" + "\n".join(b[i:i + 64] for i in range(0, len(b), 64))
            + "\n=" + base64.b64encode(crc24(d).to_bytes(3, "big")).decode() + "\n-----END PGP PRIVATE KEY BLOCK-----\n")
uid = pkt(13, b"Corpus <corpus@example.org>")
t = struct.pack(">I", 1700000000)
# v6: version, time, algorithm 27 (Ed25519), 4-octet material length, material; S2K usage 0, secret
v6 = pkt(5, b"\x06" + t + b"\x1b" + struct.pack(">I", 32) + os.urandom(32) + b"\x00" + os.urandom(32)) + uid
# v5: legacy EdDSA (22): OID, MPI; S2K usage 0, 4-octet secret length, secret MPI
mat = b"\x09" + bytes.fromhex("2b06010401da470f01") + b"\x01\x07\x40" + os.urandom(32)
v5 = pkt(5, b"\x05" + t + b"\x16" + struct.pack(">I", len(mat)) + mat + b"\x00" + struct.pack(">I", 34)
         + b"\x00\xff" + os.urandom(32)) + uid
v4 = pkt(5, b"\x04" + t + b"\x1b" + os.urandom(32) + b"\x00" + os.urandom(32)) + uid
for name, d in (("v6", v6), ("v5", v5), ("v4-ed25519", v4)):
    open(os.path.join(k, name + "-secret.gpg"), "wb").write(d)
    open(os.path.join(k, name + "-secret.asc"), "w").write(armor(d))
PY
for v in v6 v5; do
	exp $v-secret.gpg pgp-binary - - - $U pgp_fingerprint=- "reason=OpenPGP $v key packet: not supported"
	exp $v-secret.asc pgp-armored - - - $U pgp_fingerprint=- "reason=OpenPGP $v key packet: not supported"
done
exp v4-ed25519-secret.gpg pgp-binary - - - $U "reason=OpenPGP v4 key of algorithm 27: not supported"
exp v4-ed25519-secret.asc pgp-armored - - - $U "reason=OpenPGP v4 key of algorithm 27: not supported"

# ---- decoys: public keys, certificates, CSRs, prose, binaries, truststores ----
openssl pkey -in "$K/rsa.p8.pem" -pubout -out "$X/rsa.pub.pem"
openssl pkey -in "$K/ec.p8.pem" -pubout -outform DER -out "$X/ec.pub.der"
openssl rsa -in "$K/rsa.p8.pem" -RSAPublicKey_out -out "$X/rsa.pkcs1pub.pem" 2>/dev/null
cp "$W/cert.pem" "$X/cert.pem"
printf 'clusters:\n- cluster:\n    certificate-authority-data: %s\n' "$(base64 -w0 "$W/cert.pem")" >"$X/kubeconfig-ca-only"
openssl x509 -in "$W/cert.pem" -outform DER -out "$X/cert.der"
openssl req -new -key "$K/rsa.p8.pem" -subj /CN=csr.example -out "$X/req.csr"
openssl req -new -key "$K/ec.p8.pem" -subj /CN=csr.example -outform DER -out "$X/req.der"
openssl ecparam -name prime256v1 -out "$X/ecparams.pem"
cat >"$X/README.md" <<'TXT'
# Setting up TLS

Your key file must start with a line like

    -----BEGIN RSA PRIVATE KEY-----
    ...
    -----END RSA PRIVATE KEY-----

or, for PKCS#8, "-----BEGIN PRIVATE KEY-----". An OpenSSH key begins with
-----BEGIN OPENSSH PRIVATE KEY-----
(this is documentation; no key here)
-----END OPENSSH PRIVATE KEY-----
TXT
cat >"$X/serialise.py" <<'TXT'
def to_pem(der):
    s = '-----BEGIN RSA PRIVATE KEY-----\n'
    s += b64encode(der)
    return s + '-----END RSA PRIVATE KEY-----\n'
TXT
head -c 65536 /dev/urandom >"$X/random.bin"
{ printf '\x30\x82\x01\x00\x02\x01\x00'; head -c 253 /dev/urandom; } >"$X/random-der.bin"
{ printf '\x05\x02'; head -c 300 /dev/urandom; } >"$X/random-keytab.bin"
cp /bin/ls "$X/ls.elf"
: >"$X/empty"
openssl pkcs12 -export -nokeys -in "$W/cert.pem" -passout pass: -out "$X/trust.p12"
keytool -importcert -noprompt -storetype JKS -keystore "$X/trust.jks" -storepass changeit \
	-alias ca -file "$W/cert.pem" >/dev/null 2>&1
rm -rf "$W"
