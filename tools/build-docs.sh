#!/usr/bin/env bash
# Builds the docs site (DocFX, a local dotnet tool: .config/dotnet-tools.json) into docs/_site: the API reference from
# the XML docs of the library projects (docfx metadata reads them through MSBuild) and the guides of docs/articles/.
# Every warning is an error (--warningsAsErrors): a broken link or bookmark, a missing file, an unresolved reference.
# PropertyTests/Docs/DocsSiteTests.cs then opens the built site in headless Chromium.
# Needs only the .NET 10 SDK and NuGet.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
started=$SECONDS
dotnet tool restore >/dev/null
# The projects run the Scalar analyzers (Analyzers/, referenced as an analyzer): docfx loads the projects without
# building them and warns when the analyzer assembly is not there yet, so build it first (quick when up to date).
dotnet build Analyzers/Analyzers.csproj -c Release -nologo -v:quiet
# The generated API pages are rebuilt every time, so a type that was removed leaves no page behind.
find docs/api -name '*.yml' -delete 2>/dev/null || true
rm -rf docs/_site docs/obj
dotnet docfx docs/docfx.json --warningsAsErrors --logLevel warning
[ -f docs/_site/index.html ] || { echo "build-docs: docfx wrote no docs/_site/index.html"; exit 1; }
echo "build-docs: docs/_site built in $((SECONDS - started)) s ($(find docs/_site -name '*.html' | wc -l) pages)"
