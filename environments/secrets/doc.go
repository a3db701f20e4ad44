// Package secrets reads and writes the encrypted files of an environment:
// environments/<env>/secrets.cfg.age or secrets.cfg.gpg (an INI file with
// the environment's [batou] members, [component:NAME] overrides and
// [host:NAME] data) and the secret files secret-<name>.age|.gpg next to it.
//
// Each environment has its own members, the recipients every one of its
// files is encrypted to; only they can decrypt them. Two providers:
//
//   - age (filippo.io/age, in process): members are age public keys
//     (age1...) or ssh public keys (ssh-ed25519, ssh-rsa). Decryption uses
//     the identity files listed in BATOU_AGE_IDENTITIES, else
//     ~/.ssh/id_ed25519 and ~/.ssh/id_rsa; passphrase-protected ssh keys
//     ask for their passphrase (BATOU_AGE_IDENTITY_PASSPHRASE answers it).
//   - gpg: members are key ids, fingerprints or e-mail addresses. The
//     user's gpg binary does the work, so keys held by gpg-agent,
//     smartcards and YubiKeys work. When BATOU_GPG_KEYRING lists key files,
//     ProtonMail/go-crypto does it in process with the keys in those files
//     instead (for CI and tests); the two are interoperable.
//
// Cleartext stays in memory; files are replaced atomically, and a failed
// encryption leaves the old file in place. Every error names the file
// and says what to do.
package secrets
