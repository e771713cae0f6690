#!/usr/bin/env bash
# Refreshes the GraphiQL assets the binary embeds (src/graphiql.rs), from the
# npm registry: pinned production UMD builds of graphiql and react/react-dom,
# with their licence files and a VERSIONS file of sha256 sums. Running it
# again with the same versions reproduces the same bytes (published npm
# versions are immutable, and npm checks each tarball's integrity).
#
#   scripts/refresh-graphiql.sh            # the versions below
#   GRAPHIQL_VERSION=4.1.2 scripts/refresh-graphiql.sh
#   scripts/refresh-graphiql.sh --check    # rebuild in a temp dir; fail if
#                                          # assets/graphiql/ differs from it
#
# index.html, init.js and page.css are ours and are left alone. Rebuild
# afterwards (`cargo build`): the files are compiled into the binary.
#
# The one change to the packages' files: the trailing `//# sourceMappingURL=`
# comment is dropped (we do not ship the .map files; DevTools would ask for
# them and log a 404). VERSIONS records the sums of the files as vendored.
set -euo pipefail

GRAPHIQL_VERSION="${GRAPHIQL_VERSION:-4.1.2}"
# React 18 is the last major with UMD builds, which GraphiQL 4's UMD bundle
# reads as the globals React and ReactDOM. (The bundle also carries its own
# copy of React 18's jsx runtime, which reads React 18 internals.)
REACT_VERSION="${REACT_VERSION:-18.3.1}"

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
DEST=assets/graphiql
WORK=$(mktemp -d "${TMPDIR:-/tmp}/refresh-graphiql.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUT="$WORK/out"
mkdir -p "$OUT"

fetch() { # package version -> unpacked directory (and a line in $WORK/integrity)
    local dir="$WORK/$1" json
    mkdir -p "$dir"
    json=$(cd "$dir" && npm pack --json --silent "$1@$2")
    printf '%s' "$json" | node -e '
        const [pack] = JSON.parse(require("fs").readFileSync(0, "utf8"));
        process.stdout.write(`${pack.name}@${pack.version} ${pack.integrity}\n`);' >>"$WORK/integrity"
    (cd "$dir" && tar -xzf ./*.tgz)
    echo "$dir/package"
}

graphiql=$(fetch graphiql "$GRAPHIQL_VERSION")
react=$(fetch react "$REACT_VERSION")
react_dom=$(fetch react-dom "$REACT_VERSION")

# The UMD wrapper must ask for React and ReactDOM and nothing else: another
# external would need vendoring too, and a <script> in index.html.
if ! head -c 400 "$graphiql/graphiql.min.js" |
    grep -qF 'module.exports=t(require("react"),require("react-dom"))'; then
    echo "graphiql@$GRAPHIQL_VERSION: unexpected UMD externals; the wrapper starts:" >&2
    head -c 400 "$graphiql/graphiql.min.js" >&2
    echo >&2
    exit 1
fi

cp "$graphiql/graphiql.min.js" "$OUT/graphiql.min.js"
cp "$graphiql/graphiql.min.css" "$OUT/graphiql.min.css"
cp "$graphiql/LICENSE" "$OUT/LICENSE-graphiql"
cp "$react/umd/react.production.min.js" "$OUT/react.production.min.js"
cp "$react/LICENSE" "$OUT/LICENSE-react"
cp "$react_dom/umd/react-dom.production.min.js" "$OUT/react-dom.production.min.js"
cp "$react_dom/LICENSE" "$OUT/LICENSE-react-dom"

for file in graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js; do
    sed -i -E '/^\/[\/*][#@] sourceMappingURL=.*$/d' "$OUT/$file"
done

FILES=(graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js
    LICENSE-graphiql LICENSE-react LICENSE-react-dom)
{
    echo "# Vendored by scripts/refresh-graphiql.sh from the npm registry."
    echo "graphiql@$GRAPHIQL_VERSION"
    echo "react@$REACT_VERSION"
    echo "react-dom@$REACT_VERSION"
    echo
    (cd "$OUT" && sha256sum "${FILES[@]}")
    echo
    echo "# npm tarball integrity"
    cat "$WORK/integrity"
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
    echo "$DEST matches graphiql@$GRAPHIQL_VERSION, react@$REACT_VERSION, react-dom@$REACT_VERSION"
    exit 0
fi

mkdir -p "$DEST"
for file in "${FILES[@]}"; do
    install -m 0644 "$OUT/$file" "$DEST/$file"
done
echo "refreshed $DEST:"
cat "$DEST/VERSIONS"
