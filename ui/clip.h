/* clip.h: copy a link to the operator's own clipboard, on the laptop at the far end of
 * SSH: through tmux when inside it, else with an OSC 52 escape sequence that the
 * operator's terminal turns into a clipboard write.  No curses calls here. */
#ifndef CD_UI_CLIP_H
#define CD_UI_CLIP_H

#include <stddef.h>

#include "util.h"

/* The largest text whose OSC 52 sequence stays within 100000 bytes, the limit that
 * OSC 52 clipboard scripts and several terminals apply. */
#define CLIP_MAX 74994
/* Base64 bytes per DCS piece under GNU screen, which caps the length of a DCS string. */
#define CLIP_SCREEN_CHUNK 76

/* 0 when text may be copied: non-empty, at most CLIP_MAX bytes, UTF-8, and without
 * control characters (links never have them; this keeps escape sequences out). */
int clip_check(const char *text);
/*
 * Appends to out the OSC 52 sequence ESC ] 52 ; c ; BASE64 BEL setting the clipboard
 * to text.  With screen set (GNU screen, $STY), the sequence is cut into DCS
 * passthrough pieces ESC P ... ESC \ carrying at most CLIP_SCREEN_CHUNK base64 bytes
 * each.  Returns 0, or -1 when clip_check() refuses the text.
 */
int clip_osc52(const char *text, int screen, cd_buf *out);
/*
 * Copies text: inside tmux ($TMUX) with `tmux load-buffer -w -` (tmux 3.2 or later,
 * which sets tmux's buffer and forwards it to the outer terminal), else, or when
 * that fails, with OSC 52 written straight to /dev/tty.  On success, how (if not
 * NULL) names the method for the status line.  Returns 0, or -1 with cd_err().
 */
int clip_copy(const char *text, char *how, size_t howsz);

#endif
