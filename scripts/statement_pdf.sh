#!/usr/bin/env bash
# Convert an Excel statement to PDF with LibreOffice (headless) and render page 1 as PNG to look at it.
# Usage: scripts/statement_pdf.sh path/to/statement.xlsx [out_dir]
set -euo pipefail
xlsx="$1"; out="${2:-$(dirname "$xlsx")}"
soffice --headless --norestore -env:UserInstallation=file:///tmp/vaxdw-lo-profile \
    --convert-to pdf --outdir "$out" "$xlsx" >/dev/null
pdf="$out/$(basename "${xlsx%.*}").pdf"
if command -v pdftoppm >/dev/null; then pdftoppm -png -r 60 -f 1 -l 2 "$pdf" "${pdf%.pdf}-page"; fi
echo "$pdf"
