#!/usr/bin/env bash
# Refreshes the GraphiQL files the server embeds (src/http/graphiql.rs) from
# the npm packages pinned in package.json and package-lock.json (npm checks
# each tarball against its integrity hash). Run by hand when upgrading; the
# copies are committed so a build needs neither npm nor the network.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
mkdir -p dist
cp node_modules/react/umd/react.production.min.js dist/
cp node_modules/react-dom/umd/react-dom.production.min.js dist/
cp node_modules/graphiql/graphiql.min.js dist/
cp node_modules/graphiql/graphiql.min.css dist/
rm -rf node_modules
(cd dist && sha256sum react.production.min.js react-dom.production.min.js graphiql.min.js graphiql.min.css > SHA256SUMS)
echo "vendored: $(du -ch dist/*.js dist/*.css | tail -n1)"
