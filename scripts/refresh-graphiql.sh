#!/usr/bin/env bash
# Refreshes the GraphiQL assets the binary embeds (src/graphiql.rs), from the
# npm registry: pinned production UMD builds of graphiql and react/react-dom,
# with their licence files and a VERSIONS file of sha256 sums. Running it
# again with the same versions reproduces the same bytes.
#
#   scripts/refresh-graphiql.sh            # the versions below
#   GRAPHIQL_VERSION=4.1.2 scripts/refresh-graphiql.sh
#
# index.html and init.js are ours and are left alone. Rebuild afterwards
# (`cargo build`): the files are compiled into the binary.
set -euo pipefail

GRAPHIQL_VERSION="${GRAPHIQL_VERSION:-4.1.2}"
# React 18 is the last major with UMD builds, which GraphiQL 4's UMD bundle
# reads as the globals React and ReactDOM.
REACT_VERSION="${REACT_VERSION:-18.3.1}"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
DEST=assets/graphiql
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

fetch() { # package version -> unpacked directory
    local dir="$WORK/$1"
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$1@$2" >/dev/null && tar -xzf ./*.tgz)
    echo "$dir/package"
}

graphiql=$(fetch graphiql "$GRAPHIQL_VERSION")
react=$(fetch react "$REACT_VERSION")
react_dom=$(fetch react-dom "$REACT_VERSION")

mkdir -p "$DEST"
cp "$graphiql/graphiql.min.js" "$DEST/graphiql.min.js"
cp "$graphiql/graphiql.min.css" "$DEST/graphiql.min.css"
cp "$graphiql/LICENSE" "$DEST/LICENSE-graphiql"
cp "$react/umd/react.production.min.js" "$DEST/react.production.min.js"
cp "$react/LICENSE" "$DEST/LICENSE-react"
cp "$react_dom/umd/react-dom.production.min.js" "$DEST/react-dom.production.min.js"
cp "$react_dom/LICENSE" "$DEST/LICENSE-react-dom"

# The bundles end with a sourceMappingURL comment naming a .map file we do
# not ship; browsers would ask for it and get a 404 in the console.
for file in graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js; do
    sed -i -E '/^\/[\/*][#@] sourceMappingURL=.*$/d' "$DEST/$file"
done

{
    echo "# Vendored by scripts/refresh-graphiql.sh from the npm registry."
    echo "graphiql@$GRAPHIQL_VERSION"
    echo "react@$REACT_VERSION"
    echo "react-dom@$REACT_VERSION"
    echo
    (cd "$DEST" && sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js)
} > "$DEST/VERSIONS"
echo "refreshed $DEST:"
cat "$DEST/VERSIONS"
