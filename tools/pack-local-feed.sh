#!/usr/bin/env bash
# Packs every library of the solution into a local folder feed, for applications to take the packages from until they
# are published (README.md, "Install"; docs/articles/install.md).
#
#   tools/pack-local-feed.sh [--version VERSION] [FEED]
#
# FEED is the folder to pack into (~/functional-feed when not given; made when missing). Without --version the
# packages get the version the build gives them. A package already in the global package cache under the same id and
# version would shadow the new one silently (NuGet never looks at a source again for a version it has), so the script
# removes those cached copies first. It ends by printing the nuget.config and `dotnet add package` lines to use.
# Needs only the .NET 10 SDK.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
version=""
feed=""
while [ $# -gt 0 ]; do
  case "$1" in
    --version) [ $# -ge 2 ] || { echo "pack-local-feed: --version needs a value" >&2; exit 2; }; version=$2; shift 2 ;;
    --version=*) version=${1#--version=}; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "pack-local-feed: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) [ -z "$feed" ] || { echo "pack-local-feed: one feed folder, got '$feed' and '$1'" >&2; exit 2; }; feed=$1; shift ;;
  esac
done
feed=${feed:-$HOME/functional-feed}
mkdir -p "$feed"
feed=$(cd "$feed" && pwd)

# Pack into an empty folder first, so that what this run made is known exactly, then copy into the feed.
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
echo "== packing the libraries into $feed"
dotnet pack "$repo/Functional.sln" -c Release -o "$staging" -nologo -v:quiet ${version:+-p:PackageVersion="$version"}
shopt -s nullglob
packages=("$staging"/*.nupkg)
[ ${#packages[@]} -gt 0 ] || { echo "pack-local-feed: dotnet pack made no package" >&2; exit 1; }

cache=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')
made_version=""
for package in "${packages[@]}"; do
  file=$(basename "$package" .nupkg)
  # The file name is <id>.<version>: the id is every Functional.X part, the version starts at the first digit part.
  id=$(sed -E 's/^((Functional\.)?[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*)\.[0-9].*$/\1/' <<<"$file")
  package_version=${file#"$id".}
  made_version=$package_version
  rm -rf "${cache%/}/${id,,}/${package_version,,}"
  cp "$package" "$feed/"
  echo "  $id $package_version"
done

libtorch=$(sed -n 's/.*PackageVersion Include="libtorch-cpu-linux-x64" Version="\([^"]*\)".*/\1/p' "$repo/Directory.Packages.props")
cat <<EOF

== done. In your application's folder, a nuget.config:

<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="functional-local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="functional-local"><package pattern="Functional.*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>

and then:

dotnet add package Functional.Facade --version $made_version
dotnet add package libtorch-cpu-linux-x64 --version ${libtorch:-2.10.0}
EOF
