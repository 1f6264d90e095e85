/* templates.h: the default link templates, embedded from data/templates at build time. */
#ifndef CD_TEMPLATES_H
#define CD_TEMPLATES_H

struct cd_template {
	const char *name;
	const char *text;
};

extern const struct cd_template cd_templates[]; /* ends with {0, 0} */

#endif
