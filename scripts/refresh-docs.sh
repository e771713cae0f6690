#!/usr/bin/env bash
# Refreshes the docs UI the binary embeds (src/docs.rs, GET /docs): the pinned
# standalone build of Redoc from the npm registry, with its licence files and
# a VERSIONS file of sha256 sums. Running it again with the same version
# reproduces the same bytes (published npm versions are immutable, and npm
# checks each tarball's integrity).
#
#   scripts/refresh-docs.sh              # the version below
#   REDOC_VERSION=2.5.4 scripts/refresh-docs.sh
#   scripts/refresh-docs.sh --check      # rebuild in a temp dir; fail if
#                                        # assets/docs/ differs from it
#
# index.html and init.js are ours and are left alone. Rebuild afterwards
# (`cargo build`): the files are compiled into the binary.
#
# Why Redoc 2: one self-contained file (about 1.1 MB, its styles included),
# half of Swagger UI's bundle and stylesheet, and Redoc 3's standalone build is
# twice its size. It only reads the document: no request console, so nowhere to
# paste a token (GraphiQL is the console), and its one request is
# /openapi.json.
#
# The two changes to the package's file:
#   - the trailing `//# sourceMappingURL=` comment is dropped (we do not ship
#     the .map file; DevTools would ask for it and log a 404);
#   - the Redocly logo in the sidebar's footer is an <img> from
#     cdn.redoc.ly: its URL becomes `data:,`, which is no image, so Redoc's own
#     onError handler hides it and the page asks no other host for anything.
# VERSIONS records the sums of the files as vendored.
set -euo pipefail

REDOC_VERSION="${REDOC_VERSION:-2.5.4}"
LOGO_URL='https://cdn.redoc.ly/redoc/logo-mini.svg'

CHECK=0
case "${1:-}" in
    "") ;;
    --check) CHECK=1 ;;
    *)
        echo "usage: $0 [--check]" >&2
        exit 2
        ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."
DEST=assets/docs
WORK=$(mktemp -d "${TMPDIR:-/tmp}/refresh-docs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUT="$WORK/out"
mkdir -p "$OUT" "$WORK/redoc"

json=$(cd "$WORK/redoc" && npm pack --json --silent "redoc@$REDOC_VERSION")
integrity=$(printf '%s' "$json" | node -e '
    const [pack] = JSON.parse(require("fs").readFileSync(0, "utf8"));
    process.stdout.write(`${pack.name}@${pack.version} ${pack.integrity}`);')
(cd "$WORK/redoc" && tar -xzf ./*.tgz)
redoc="$WORK/redoc/package"

# The patch must find exactly one logo URL; another count means the bundle
# changed shape and needs looking at.
count=$(grep -o -F "$LOGO_URL" "$redoc/bundles/redoc.standalone.js" | wc -l)
if [[ "$count" != 1 ]]; then
    echo "redoc@$REDOC_VERSION: expected the logo URL once, found it $count times" >&2
    exit 1
fi

cp "$redoc/bundles/redoc.standalone.js" "$OUT/redoc.standalone.js"
sed -i -E '/^\/[\/*][#@] sourceMappingURL=.*$/d' "$OUT/redoc.standalone.js"
sed -i "s#\"$LOGO_URL\"#\"data:,\"#" "$OUT/redoc.standalone.js"
cp "$redoc/LICENSE" "$OUT/LICENSE-redoc"
# The licences of what the bundle carries (React, mobx, marked, …).
cp "$redoc/bundles/redoc.standalone.js.LICENSE.txt" "$OUT/LICENSE-redoc-bundled"

FILES=(redoc.standalone.js LICENSE-redoc LICENSE-redoc-bundled)
{
    echo "# Vendored by scripts/refresh-docs.sh from the npm registry."
    echo "redoc@$REDOC_VERSION"
    echo
    (cd "$OUT" && sha256sum "${FILES[@]}")
    echo
    echo "# npm tarball integrity"
    echo "$integrity"
} >"$OUT/VERSIONS"
FILES+=(VERSIONS)

if [[ $CHECK == 1 ]]; then
    differ=0
    for file in "${FILES[@]}"; do
        if ! cmp -s "$OUT/$file" "$DEST/$file"; then
            echo "differs from a fresh refresh: $DEST/$file" >&2
            differ=1
        fi
    done
    if [[ $differ == 1 ]]; then exit 1; fi
    echo "$DEST matches redoc@$REDOC_VERSION"
    exit 0
fi

mkdir -p "$DEST"
for file in "${FILES[@]}"; do
    install -m 0644 "$OUT/$file" "$DEST/$file"
done
echo "refreshed $DEST:"
cat "$DEST/VERSIONS"
