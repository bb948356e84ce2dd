#!/usr/bin/env bash
# Installs code-server (VS Code's own workbench served to a browser) into DIR for the extension's
# end-to-end tests. Usage: e2e/install-code-server.sh DIR. Does nothing when DIR already holds this
# version. Needs Node.js 20 (code-server 4.100.x is the last release for Node 20), npm, a C++
# toolchain, pkg-config, libkrb5-dev, libsecret-1-dev and ripgrep (scripts/ci-deps installs them).
#
# Works offline from the package registries only: npm 11 does not run dependencies' install scripts,
# and code-server's own postinstall would download things, so everything is installed with
# --ignore-scripts and its steps are done here: the dependencies of lib/vscode and its extensions,
# the native modules compiled with node-gyp against the local Node headers, Debian's `rg` in place of
# @vscode/ripgrep's download, and the links the postinstall makes.
set -euo pipefail

VERSION=4.100.3
dir=${1:?usage: install-code-server.sh DIR}
stamp="$dir/.installed-$VERSION"
[[ -f $stamp ]] && exit 0

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [[ $node_major != 20 ]]; then
  echo "install-code-server: code-server $VERSION needs Node.js 20 (found $(node --version))" >&2
  exit 1
fi
rg=$(command -v rg) || { echo "install-code-server: ripgrep (rg) is missing: apt-get install ripgrep" >&2; exit 1; }

rm -rf "$dir"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
quiet=(--ignore-scripts --no-audit --no-fund --loglevel=error)
echo "install-code-server: code-server $VERSION into $dir"
npm install --prefix "$dir" "${quiet[@]}" "code-server@$VERSION"
cs="$dir/node_modules/code-server"
(cd "$cs/lib/vscode" && npm install --omit=dev "${quiet[@]}")
(cd "$cs/lib/vscode/extensions" && npm install --omit=dev "${quiet[@]}")

# Native modules, compiled with npm's own node-gyp against the installed Node headers (no download).
node_gyp="$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
nodedir=$(npm config get nodedir)
if [[ -z $nodedir || $nodedir == undefined || $nodedir == null ]]; then
  nodedir=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
fi
if [[ ! -f $nodedir/include/node/common.gypi ]]; then
  echo "install-code-server: no Node.js headers under $nodedir/include/node (install the nodejs headers package)" >&2
  exit 1
fi
gyp() { (cd "$1" && node "$node_gyp" rebuild --nodedir="$nodedir" --loglevel=error "${@:2}" >/dev/null); }
for m in node-pty @vscode/spdlog native-watchdog kerberos @vscode/deviceid; do
  gyp "$cs/lib/vscode/node_modules/$m"
done
# argon2 (password hashing of code-server's login, loaded at start) puts its binary where
# node-pre-gyp says.
gyp "$dir/node_modules/argon2" --module_name=argon2 --module_path="$dir/node_modules/argon2/lib/binding/napi-v3" \
  --napi_build_version=3

# What code-server's postinstall links: ripgrep, node_modules.asar, the remote CLI and browser helper.
mkdir -p "$cs/lib/vscode/node_modules/@vscode/ripgrep/bin"
ln -sfn "$rg" "$cs/lib/vscode/node_modules/@vscode/ripgrep/bin/rg"
ln -sfn node_modules "$cs/lib/vscode/node_modules.asar"
ln -sfn code-linux.sh "$cs/lib/vscode/bin/remote-cli/code-server"
ln -sfn browser-linux.sh "$cs/lib/vscode/bin/helpers/browser.sh"

touch "$stamp"
echo "install-code-server: done"
