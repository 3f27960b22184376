#!/usr/bin/env bash
# Refreshes the API reference page's script embedded in the binary
# (server/docsui): the standalone bundle of a pinned @scalar/api-reference
# from the npm registry, checked against the registry's integrity hash,
# gzipped. Run it after changing PACKAGE or INTEGRITY; commit the result.
# `go test ./server -run TestDocsAssetsPinned` checks that the committed
# files match the pin.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE=@scalar/api-reference@1.76.4
INTEGRITY=sha512-bHSVv494yuNTcBzmfZR3eYhckOTiu3L6IJmvM2kdKzBVmWqm+JhEHbYc7ydsv7FBSs3vTW9sCz00La2dFgWxVg==

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tgz=$(ls "$work"/*.tgz)
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
if [[ "$got" != "$INTEGRITY" ]]; then
  echo "integrity mismatch for $PACKAGE: got $got" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$work" package/dist/browser/standalone.js
gzip -9 -n -c "$work/package/dist/browser/standalone.js" > server/docsui/standalone.js.gz
sha=$(sha256sum "$work/package/dist/browser/standalone.js" | cut -d' ' -f1)
cat > server/docsui/PIN <<PIN
package $PACKAGE
integrity $INTEGRITY
file package/dist/browser/standalone.js
sha256 $sha
license MIT (the package's package.json), https://github.com/scalar/scalar
PIN
echo "server/docsui: $PACKAGE standalone.js ($(wc -c <"$work/package/dist/browser/standalone.js") bytes, $(wc -c <server/docsui/standalone.js.gz) gzipped)"
