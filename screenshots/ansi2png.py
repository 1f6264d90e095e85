"""ansi2png.py: turns `tmux capture-pane -e -p` output (text with SGR colour sequences)
into a PNG, cell by cell, with DejaVu Sans Mono.  Usage: ansi2png.py IN.ans OUT.png COLS ROWS"""
import re
import sys
import unicodedata

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
SIZE = 15
BG, FG = (30, 30, 36), (220, 220, 214)
PALETTE = [(46, 52, 54), (222, 72, 72), (140, 200, 80), (230, 190, 60), (90, 140, 220),
           (180, 110, 200), (80, 190, 200), (220, 220, 214)]
BRIGHT = [(110, 110, 110), (255, 100, 100), (170, 230, 110), (255, 220, 90), (120, 170, 255),
          (210, 140, 230), (110, 220, 230), (255, 255, 255)]


def xterm256(n):
    if n < 8:
        return PALETTE[n]
    if n < 16:
        return BRIGHT[n - 8]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    v = 8 + 10 * (n - 232)
    return (v, v, v)


def apply_sgr(params, st):
    p = [int(x) if x else 0 for x in params.split(";")] if params else [0]
    i = 0
    while i < len(p):
        c = p[i]
        if c == 0:
            st.update(fg=None, bg=None, bold=False, dim=False, rev=False, ul=False)
        elif c == 1:
            st["bold"] = True
        elif c == 2:
            st["dim"] = True
        elif c == 4:
            st["ul"] = True
        elif c == 7:
            st["rev"] = True
        elif c == 22:
            st["bold"] = st["dim"] = False
        elif c == 24:
            st["ul"] = False
        elif c == 27:
            st["rev"] = False
        elif 30 <= c <= 37:
            st["fg"] = PALETTE[c - 30]
        elif 90 <= c <= 97:
            st["fg"] = BRIGHT[c - 90]
        elif 40 <= c <= 47:
            st["bg"] = PALETTE[c - 40]
        elif 100 <= c <= 107:
            st["bg"] = BRIGHT[c - 100]
        elif c == 39:
            st["fg"] = None
        elif c == 49:
            st["bg"] = None
        elif c in (38, 48) and i + 2 < len(p) and p[i + 1] == 5:
            st["fg" if c == 38 else "bg"] = xterm256(p[i + 2])
            i += 2
        i += 1


def cells(text, cols, rows):
    grid = [[(" ", dict(fg=None, bg=None, bold=False, dim=False, rev=False, ul=False))
             for _ in range(cols)] for _ in range(rows)]
    st = dict(fg=None, bg=None, bold=False, dim=False, rev=False, ul=False)
    for y, line in enumerate(text.split("\n")[:rows]):
        x = 0
        for tok in re.split(r"(\x1b\[[0-9;]*m)", line):
            if tok.startswith("\x1b["):
                apply_sgr(tok[2:-1], st)
                continue
            for ch in tok:
                if x >= cols:
                    break
                grid[y][x] = (ch, dict(st))
                x += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return grid


def render(grid, cols, rows, out):
    font, bold = ImageFont.truetype(FONT, SIZE), ImageFont.truetype(BOLD, SIZE)
    cw = round(font.getlength("M"))
    ch = SIZE + 5
    img = Image.new("RGB", (cols * cw + 16, rows * ch + 16), BG)
    d = ImageDraw.Draw(img)
    for y, row in enumerate(grid):
        for x, (c, st) in enumerate(row):
            fg, bg = st["fg"] or FG, st["bg"] or BG
            if st["rev"]:
                fg, bg = bg, fg
            if st["dim"]:
                fg = tuple((a + b) // 2 for a, b in zip(fg, bg))
            px, py = 8 + x * cw, 8 + y * ch
            w = cw * (2 if unicodedata.east_asian_width(c) in "WF" else 1)
            if bg != BG:
                d.rectangle([px, py, px + w - 1, py + ch - 1], fill=bg)
            if c != " ":
                d.text((px, py + 2), c, font=bold if st["bold"] else font, fill=fg)
            if st["ul"]:
                d.line([px, py + ch - 3, px + w - 1, py + ch - 3], fill=fg)
    img.save(out)


if __name__ == "__main__":
    src, dst, cols, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with open(src, encoding="utf-8", errors="replace") as f:
        render(cells(f.read(), cols, rows), cols, rows, dst)
