/* embed.h: data files compiled into the binary by data/embed.sh. */
#ifndef CD_EMBED_H
#define CD_EMBED_H

struct cd_embedded {
	const char *name;
	const char *text;
};

/* Each table ends with {0, 0}. */
extern const struct cd_embedded cd_templates[]; /* every file in data/templates */
extern const struct cd_embedded cd_schema[];    /* data/schema.sql */

#endif
