//! The shard diagram's layout: shards as buckets in a grid, keys as chips in a grid inside each
//! bucket.
//!
//! All sizes are in the diagram's fixed [`VIEW_W`] × [`VIEW_H`] `viewBox`. The bucket grid
//! depends only on the number of shards (so the same count always draws the same way, whatever
//! the screen); the chip size depends on the buckets' size and the fullest bucket, so every key
//! drawn fits.

use super::polar::Point;

/// Width of the `viewBox`.
pub const VIEW_W: f64 = 360.0;
/// Height of the `viewBox`.
pub const VIEW_H: f64 = 240.0;
/// Distance kept from the `viewBox` edges.
pub const MARGIN: f64 = 6.0;
/// Baseline of the caption (the rule).
pub const CAPTION_Y: f64 = 16.0;
/// Baseline of the status line under the caption (counts, or what the last resize moved).
pub const STATUS_Y: f64 = 33.0;
/// Top of the bucket grid.
pub const GRID_TOP: f64 = 44.0;
/// At most this many shards sit side by side in one row; more wrap into a grid.
pub const ONE_ROW_MAX: u32 = 5;
/// Keys get their id written on them only when at most this many are drawn.
pub const LABELLED_KEYS_MAX: usize = 64;
/// The largest chip pitch (chip plus gap), so a few keys do not become huge tiles.
pub const CHIP_PITCH_MAX: f64 = 22.0;
/// Font size of a full bucket label (`Shard 3`).
pub const NAME_FONT: f64 = 10.5;
/// Height of the band of front stages (router, directory, cache) above the buckets.
pub const FRONT_H: f64 = 30.0;
/// Height of the extra line a full bucket label gets for a shard's caption (`ids 1–100,000`).
pub const SHARD_CAPTION_H: f64 = 10.0;

/// Height of the line under the buckets that says how the followed query ended.
pub const FOOTER_H: f64 = 14.0;

/// What sits around the buckets: a band of front stages above them, a caption line in them, a
/// line under them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Chrome {
    /// Whether a band of front stages sits between the caption and the buckets.
    pub front: bool,
    /// Whether shards carry a caption line.
    pub captions: bool,
    /// Whether a line under the buckets tells how the followed query ended.
    pub footer: bool,
}

impl Chrome {
    /// The bottom of the bucket grid.
    pub fn grid_bottom(self) -> f64 {
        VIEW_H - MARGIN - if self.footer { FOOTER_H } else { 0.0 }
    }
}

impl Chrome {
    /// The top of the bucket grid.
    pub fn grid_top(self) -> f64 {
        if self.front {
            GRID_TOP + FRONT_H + 8.0
        } else {
            GRID_TOP
        }
    }
}

/// An axis-aligned rectangle in SVG user units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Rect {
    /// The centre.
    pub fn centre(&self) -> Point {
        Point {
            x: self.x + self.w / 2.0,
            y: self.y + self.h / 2.0,
        }
    }

    /// Whether `p` lies inside (edges included).
    pub fn contains(&self, p: Point) -> bool {
        p.x >= self.x && p.x <= self.x + self.w && p.y >= self.y && p.y <= self.y + self.h
    }

    /// The same rectangle grown by `d` on every side.
    pub fn inflate(&self, d: f64) -> Rect {
        Rect {
            x: self.x - d,
            y: self.y - d,
            w: self.w + 2.0 * d,
            h: self.h + 2.0 * d,
        }
    }
}

/// How a bucket is labelled, chosen from its width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelMode {
    /// Two lines: `Shard 3`, then `5 keys`.
    Full,
    /// One line: the index on the left, the key count on the right.
    Compact,
}

impl LabelMode {
    /// The height of the label band at the top of a bucket.
    pub fn head_h(self) -> f64 {
        match self {
            LabelMode::Full => 27.0,
            LabelMode::Compact => 13.0,
        }
    }
}

/// A rough width of `text` at `font_size` in the diagram's sans-serif (for fitting labels, not
/// for precision): 0.6 em a character, 0.68 when bold.
pub fn text_width(text: &str, font_size: f64, bold: bool) -> f64 {
    text.chars().count() as f64 * font_size * if bold { 0.68 } else { 0.6 }
}

/// The font size, at most `max`, at which `text` fits in `width` (with [`text_width`]'s
/// estimate); never below 60% of `max`.
pub fn fit_font(text: &str, max: f64, width: f64, bold: bool) -> f64 {
    let at_max = text_width(text, max, bold);
    if at_max <= width {
        max
    } else {
        (max * width / at_max).max(max * 0.6)
    }
}

/// `text` fitted into `width` at most at `max` font size: the font size [`fit_font`] gives and,
/// when even that is too wide, the text cut short with an ellipsis.
pub fn fit_text(text: &str, max: f64, width: f64, bold: bool) -> (String, f64) {
    let font = fit_font(text, max, width, bold);
    if text_width(text, font, bold) <= width {
        return (text.to_string(), font);
    }
    let per_char = text_width("x", font, bold).max(0.01);
    let keep = ((width / per_char).floor() as usize)
        .saturating_sub(1)
        .max(1);
    let cut: String = text.chars().take(keep).collect();
    (format!("{}…", cut.trim_end()), font)
}

/// The bucket grid for `n` shards: how many columns and rows, and each bucket's rectangle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BucketGrid {
    /// Shards.
    pub n: u32,
    /// Columns.
    pub cols: u32,
    /// Rows.
    pub rows: u32,
    /// Space between buckets.
    pub gap: f64,
    /// A bucket's width.
    pub w: f64,
    /// A bucket's height.
    pub h: f64,
    /// How buckets are labelled.
    pub label: LabelMode,
    /// Top of the grid.
    pub top: f64,
    /// Height of the caption line under a full label (0 without captions).
    pub caption_h: f64,
}

/// Columns for `n` shards: one row up to [`ONE_ROW_MAX`]; beyond, about square buckets
/// (`cols ≈ √(1.6 n)`, the grid area being about 1.6 times as wide as tall), rebalanced so the
/// rows are as full as they can be.
pub fn columns(n: u32) -> u32 {
    if n <= ONE_ROW_MAX {
        return n.max(1);
    }
    let first = (f64::from(n) * 1.6).sqrt().ceil() as u32;
    let rows = n.div_ceil(first.max(1));
    n.div_ceil(rows)
}

impl BucketGrid {
    /// The grid for `n` shards, filling the area under the caption.
    pub fn new(n: u32) -> Self {
        Self::with_chrome(n, Chrome::default())
    }

    /// The grid for `n` shards under the caption and, if there is one, the band of front stages.
    pub fn with_chrome(n: u32, chrome: Chrome) -> Self {
        let cols = columns(n);
        let rows = n.max(1).div_ceil(cols);
        let gap = if n <= 16 { 6.0 } else { 4.0 };
        let top = chrome.grid_top();
        let area_w = VIEW_W - 2.0 * MARGIN;
        let area_h = chrome.grid_bottom() - top;
        let w = (area_w - gap * f64::from(cols - 1)) / f64::from(cols);
        let h = (area_h - gap * f64::from(rows - 1)) / f64::from(rows);
        let widest = format!("Shard {}", n.saturating_sub(1));
        let label = if text_width(&widest, NAME_FONT, true) + 10.0 <= w && h >= 48.0 {
            LabelMode::Full
        } else {
            LabelMode::Compact
        };
        let caption_h = if chrome.captions && label == LabelMode::Full {
            SHARD_CAPTION_H
        } else {
            0.0
        };
        BucketGrid {
            n,
            cols,
            rows,
            gap,
            w,
            h,
            label,
            top,
            caption_h,
        }
    }

    /// Bucket `i`'s rectangle, filling rows left to right, top to bottom.
    pub fn bucket(&self, i: u32) -> Rect {
        let (row, col) = (i / self.cols, i % self.cols);
        Rect {
            x: MARGIN + f64::from(col) * (self.w + self.gap),
            y: self.top + f64::from(row) * (self.h + self.gap),
            w: self.w,
            h: self.h,
        }
    }

    /// Where a bucket's chips go: below its label band, inset a little.
    pub fn chip_area(&self, i: u32) -> Rect {
        let b = self.bucket(i);
        let inset = if self.label == LabelMode::Full {
            5.0
        } else {
            3.0
        };
        let top = self.label.head_h() + self.caption_h;
        Rect {
            x: b.x + inset,
            y: b.y + top,
            w: (b.w - 2.0 * inset).max(0.0),
            h: (b.h - top - inset).max(0.0),
        }
    }
}

/// How chips sit in a bucket: a grid of `cols` columns at `pitch`, centred across the chip area
/// and starting at its top.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChipGrid {
    /// Chips per row.
    pub cols: u32,
    /// Distance between chip centres.
    pub pitch: f64,
    /// A chip's side.
    pub size: f64,
    /// Font size of the id written on a chip, if ids are written.
    pub font: Option<f64>,
}

impl ChipGrid {
    /// The largest chips that fit `capacity` keys in an area `w` × `h`, with ids written when at
    /// most `drawn` ≤ [`LABELLED_KEYS_MAX`] keys are drawn and the widest id (`id_digits` digits)
    /// is still readable.
    pub fn fit(w: f64, h: f64, capacity: u32, drawn: usize, id_digits: u32) -> Self {
        let capacity = capacity.max(1);
        let mut best = (1, 0.0);
        for cols in 1..=capacity {
            let rows = capacity.div_ceil(cols);
            let pitch = (w / f64::from(cols)).min(h / f64::from(rows));
            if pitch > best.1 {
                best = (cols, pitch);
            }
        }
        let pitch = best.1.min(CHIP_PITCH_MAX);
        // Whole columns at the capped pitch, so a few chips sit side by side rather than spread.
        let cols = ((w / pitch + 1e-9).floor() as u32).clamp(1, capacity.max(1));
        let size = pitch * 0.86;
        let font = (size * 0.9 / (0.6 * f64::from(id_digits.max(1))))
            .min(size * 0.62)
            .min(10.0);
        let font = (drawn <= LABELLED_KEYS_MAX && font >= 6.0).then_some(font);
        ChipGrid {
            cols,
            pitch,
            size,
            font,
        }
    }

    /// The centre of chip `rank` in `area`.
    pub fn centre(&self, area: &Rect, rank: u32) -> Point {
        let used = f64::from(self.cols) * self.pitch;
        let left = area.x + ((area.w - used) / 2.0).max(0.0);
        Point {
            x: left + (f64::from(rank % self.cols) + 0.5) * self.pitch,
            y: area.y + (f64::from(rank / self.cols) + 0.5) * self.pitch,
        }
    }
}

/// Where keys go for one assignment of keys to shards.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardLayout {
    /// The buckets.
    pub grid: BucketGrid,
    /// The chips.
    pub chips: ChipGrid,
    /// Keys per bucket (among those given).
    pub counts: Vec<u32>,
    /// Each key's place within its bucket, in the order given (`None` for a shard out of range).
    pub ranks: Vec<Option<u32>>,
}

/// Decimal digits of `n` (`0` has one).
pub fn digits(n: u64) -> u32 {
    n.checked_ilog10().map_or(1, |d| d + 1)
}

impl ShardLayout {
    /// The layout of `n` shards holding keys whose shards, in id order, are `key_shards`; the
    /// largest id drawn is `max_id`. Keys naming a shard `≥ n` are left out.
    pub fn new(n: u32, key_shards: &[u32], max_id: u64) -> Self {
        Self::with_chrome(n, key_shards, max_id, Chrome::default())
    }

    /// The same, with front stages and shard captions as `chrome` says.
    pub fn with_chrome(n: u32, key_shards: &[u32], max_id: u64, chrome: Chrome) -> Self {
        let grid = BucketGrid::with_chrome(n, chrome);
        let mut counts = vec![0u32; n as usize];
        let ranks = key_shards
            .iter()
            .map(|&s| {
                let c = counts.get_mut(s as usize)?;
                *c += 1;
                Some(*c - 1)
            })
            .collect();
        let capacity = counts.iter().copied().max().unwrap_or(0);
        let area = grid.chip_area(0);
        let chips = ChipGrid::fit(area.w, area.h, capacity, key_shards.len(), digits(max_id));
        ShardLayout {
            grid,
            chips,
            counts,
            ranks,
        }
    }

    /// The centre of the `i`-th key given to [`ShardLayout::new`], if it was placed.
    pub fn key_centre(&self, i: usize, shard: u32) -> Option<Point> {
        let rank = (*self.ranks.get(i)?)?;
        Some(self.chips.centre(&self.grid.chip_area(shard), rank))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside_view(r: &Rect) -> bool {
        r.x >= MARGIN - 1e-9
            && r.y >= GRID_TOP - 1e-9
            && r.x + r.w <= VIEW_W - MARGIN + 1e-9
            && r.y + r.h <= VIEW_H - MARGIN + 1e-9
    }

    fn overlap(a: &Rect, b: &Rect) -> bool {
        a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
    }

    #[test]
    fn long_text_is_shrunk_then_cut_with_an_ellipsis() {
        assert_eq!(
            fit_text("Shard 1", 10.0, 200.0, false),
            ("Shard 1".to_string(), 10.0)
        );
        let (t, f) = fit_text("a very long caption that cannot fit", 10.0, 60.0, false);
        assert!(
            t.ends_with('…') && text_width(&t, f, false) <= 60.0 + f,
            "{t} at {f}"
        );
        assert_eq!(f, 6.0, "shrunk to the floor first");
    }

    #[test]
    fn up_to_five_shards_sit_in_one_row() {
        for n in 1..=ONE_ROW_MAX {
            let g = BucketGrid::new(n);
            assert_eq!((g.cols, g.rows), (n, 1), "{n} shards");
        }
    }

    #[test]
    fn known_grids() {
        let shape = |n| {
            let g = BucketGrid::new(n);
            (g.cols, g.rows)
        };
        assert_eq!(shape(6), (3, 2));
        assert_eq!(shape(8), (4, 2));
        assert_eq!(shape(9), (3, 3));
        assert_eq!(shape(16), (6, 3));
        assert_eq!(shape(64), (11, 6));
    }

    #[test]
    fn rows_are_full_but_the_last() {
        for n in 1..=64 {
            let g = BucketGrid::new(n);
            assert!(g.cols * g.rows >= n, "{n}: the grid holds every shard");
            assert!(g.cols * (g.rows - 1) < n, "{n}: no empty last row");
        }
    }

    #[test]
    fn buckets_fit_the_view_without_overlapping() {
        for n in 1..=64 {
            let g = BucketGrid::new(n);
            let rects: Vec<Rect> = (0..n).map(|i| g.bucket(i)).collect();
            for (i, r) in rects.iter().enumerate() {
                assert!(
                    inside_view(r),
                    "{n} shards: bucket {i} {r:?} leaves the view"
                );
                for (j, s) in rects.iter().enumerate().skip(i + 1) {
                    assert!(!overlap(r, s), "{n} shards: buckets {i} and {j} overlap");
                }
            }
        }
    }

    #[test]
    fn sixty_four_buckets_stay_usable() {
        let g = BucketGrid::new(64);
        assert!(g.w > 25.0 && g.h > 25.0, "{g:?}");
        assert_eq!(g.label, LabelMode::Compact);
    }

    #[test]
    fn few_shards_get_full_labels() {
        for n in [1, 2, 4, 5, 8] {
            assert_eq!(BucketGrid::new(n).label, LabelMode::Full, "{n} shards");
        }
    }

    #[test]
    fn full_labels_fit_their_bucket() {
        for n in 1..=64 {
            let g = BucketGrid::new(n);
            if g.label == LabelMode::Full {
                let text = format!("Shard {}", n - 1);
                assert!(text_width(&text, NAME_FONT, true) < g.w, "{n} shards");
            }
        }
    }

    #[test]
    fn the_grid_depends_only_on_the_shard_count() {
        assert_eq!(BucketGrid::new(12), BucketGrid::new(12));
        let a = ShardLayout::new(4, &[0, 1, 2, 3], 3);
        let b = ShardLayout::new(4, &[0, 0, 0, 0, 0, 0, 0, 1], 7);
        assert_eq!(a.grid, b.grid);
    }

    #[test]
    fn ranks_count_keys_within_their_shard() {
        let l = ShardLayout::new(3, &[0, 1, 0, 2, 0, 1], 5);
        assert_eq!(l.counts, vec![3, 2, 1]);
        assert_eq!(
            l.ranks,
            vec![Some(0), Some(0), Some(1), Some(0), Some(2), Some(1)]
        );
    }

    #[test]
    fn keys_of_unknown_shards_are_left_out() {
        let l = ShardLayout::new(2, &[0, 5, 1], 2);
        assert_eq!(l.ranks, vec![Some(0), None, Some(0)]);
        assert_eq!(l.key_centre(1, 5), None);
    }

    /// Every key of every bucket lands inside its bucket's chip area, chips not overlapping.
    fn assert_chips_fit(n: u32, key_shards: &[u32]) {
        let max_id = key_shards.len() as u64;
        let l = ShardLayout::new(n, key_shards, max_id);
        let mut seen: Vec<(u32, Point)> = Vec::new();
        for (i, &s) in key_shards.iter().enumerate() {
            let p = l.key_centre(i, s).expect("placed");
            let area = l.grid.chip_area(s);
            let half = l.chips.size / 2.0;
            let chip = Rect {
                x: p.x - half,
                y: p.y - half,
                w: l.chips.size,
                h: l.chips.size,
            };
            assert!(
                area.inflate(1e-6).contains(Point {
                    x: chip.x,
                    y: chip.y
                }) && area.inflate(1e-6).contains(Point {
                    x: chip.x + chip.w,
                    y: chip.y + chip.h
                }),
                "{n} shards, {} keys: key {i} {chip:?} outside its area {area:?}",
                key_shards.len()
            );
            for (t, q) in &seen {
                if *t == s {
                    let d = (p.x - q.x).abs().max((p.y - q.y).abs());
                    assert!(d >= l.chips.pitch - 1e-6, "{n} shards: chips overlap");
                }
            }
            seen.push((s, p));
        }
    }

    #[test]
    fn chips_fit_their_bucket_for_modulo_assignments() {
        for n in [1, 2, 3, 4, 5, 8, 12, 16, 33, 64] {
            for keys in [1, 20, 64, 200, 500] {
                let shards: Vec<u32> = (0..keys).map(|id| id % n).collect();
                assert_chips_fit(n, &shards);
            }
        }
    }

    #[test]
    fn chips_fit_when_one_bucket_holds_everything() {
        for n in [1, 4, 64] {
            assert_chips_fit(n, &vec![0; 300]);
        }
    }

    #[test]
    fn few_keys_get_large_labelled_chips() {
        let l = ShardLayout::new(4, &(0..20).map(|k| k % 4).collect::<Vec<_>>(), 19);
        assert_eq!(l.chips.pitch, CHIP_PITCH_MAX);
        assert!(l.chips.font.is_some());
    }

    #[test]
    fn many_keys_are_dots() {
        let shards: Vec<u32> = (0..65).map(|k| k % 4).collect();
        assert_eq!(ShardLayout::new(4, &shards, 64).chips.font, None);
    }

    #[test]
    fn the_same_rank_sits_in_the_same_place_in_every_bucket() {
        let l = ShardLayout::new(4, &[0, 1, 2, 3], 3);
        let a = l.key_centre(0, 0).unwrap();
        let b = l.key_centre(1, 1).unwrap();
        assert!((b.x - a.x - (l.grid.w + l.grid.gap)).abs() < 1e-9);
        assert_eq!(a.y, b.y);
    }

    #[test]
    fn fonts_shrink_only_when_text_is_too_wide() {
        assert_eq!(fit_font("4 shards", 12.0, 300.0, false), 12.0);
        let long = "x".repeat(60);
        let f = fit_font(&long, 12.0, 300.0, false);
        assert!(f < 12.0 && text_width(&long, f, false) <= 300.0 + 1e-9);
        assert!((fit_font(&"x".repeat(500), 12.0, 300.0, false) - 7.2).abs() < 1e-9);
    }

    #[test]
    fn digits_of_ids() {
        assert_eq!(digits(0), 1);
        assert_eq!(digits(9), 1);
        assert_eq!(digits(10), 2);
        assert_eq!(digits(999), 3);
    }
}
