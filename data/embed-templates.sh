#!/bin/sh
# Turns data/templates/* into a C table so that `certdesk init` can write the default
# templates into a home wherever the binary was installed.
set -e
dir=$1
echo '/* generated from data/templates by data/embed-templates.sh: do not edit */'
echo '#include "templates.h"'
echo 'const struct cd_template cd_templates[] = {'
for f in "$dir"/*; do
	name=$(basename "$f")
	printf '\t{"%s", "' "$name"
	od -An -v -tx1 "$f" | tr -s ' \n' '  ' | sed 's/^ //; s/ $//; s/ /\\x/g; s/^/\\x/' | sed 's/^\\x$//'
	printf '"},\n'
done
printf '\t{0, 0}\n};\n'
