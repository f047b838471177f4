//! The PDF documents' fonts: DejaVu Sans and DejaVu Sans Bold (free, the Bitstream Vera licence,
//! in `server/assets/fonts` with it), which cover Latin with every accent, Greek and Cyrillic, so
//! a customer's name and a free-text reason print as they were written. Each document embeds only
//! the glyphs it uses (a subset, a few KB) as a CID font, with a `ToUnicode` map so that its
//! text can be searched and copied. A character the font lacks prints as `?`.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

use crate::error::AppError;

const REGULAR_DATA: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD_DATA: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// What a missing character prints as.
const REPLACEMENT: char = '?';

/// One font of a document: its metrics, and the glyphs the document used so far.
pub(super) struct EmbeddedFont {
    face: Face<'static>,
    data: &'static [u8],
    postscript_name: &'static str,
    /// Original glyph ids to the subset's, in the order first used.
    subset: GlyphRemapper,
    /// The character each glyph of the subset shows, for the `ToUnicode` map.
    shows: BTreeMap<u16, char>,
}

impl EmbeddedFont {
    pub(super) fn regular() -> Result<Self, AppError> {
        Self::load(REGULAR_DATA, "DejaVuSans")
    }

    pub(super) fn bold() -> Result<Self, AppError> {
        Self::load(BOLD_DATA, "DejaVuSans-Bold")
    }

    fn load(data: &'static [u8], postscript_name: &'static str) -> Result<Self, AppError> {
        let face = Face::parse(data, 0)
            .map_err(|e| AppError::internal(format!("the PDF font {postscript_name}: {e}")))?;
        Ok(Self {
            face,
            data,
            postscript_name,
            subset: GlyphRemapper::new(),
            shows: BTreeMap::new(),
        })
    }

    /// The glyph that prints `c`, and the character it stands for (`?` where the font lacks
    /// one; control characters such as tabs print as a space).
    fn glyph(&self, c: char) -> (GlyphId, char) {
        let c = if c.is_control() { ' ' } else { c };
        match self.face.glyph_index(c) {
            Some(glyph) => (glyph, c),
            None => (
                self.face.glyph_index(REPLACEMENT).unwrap_or(GlyphId(0)),
                REPLACEMENT,
            ),
        }
    }

    fn advance(&self, glyph: GlyphId) -> f32 {
        let units = f32::from(self.face.glyph_hor_advance(glyph).unwrap_or(0));
        units * 1000.0 / f32::from(self.face.units_per_em())
    }

    /// The width of `c` in 1/1000 of the font size.
    pub(super) fn char_width(&self, c: char) -> f32 {
        self.advance(self.glyph(c).0)
    }

    /// The width of `text` in 1/1000 of the font size.
    pub(super) fn text_width(&self, text: &str) -> f32 {
        text.chars().map(|c| self.char_width(c)).sum()
    }

    /// `text` as the content stream shows it: the subset's glyph ids, two bytes each.
    pub(super) fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let (glyph, shows) = self.glyph(c);
            let id = self.subset.remap(glyph.0);
            self.shows.entry(id).or_insert(shows);
            out.extend_from_slice(&id.to_be_bytes());
        }
        out
    }

    /// Writes the font (a Type 0 font over a CID font, its descriptor, the subset and the
    /// `ToUnicode` map) under `ids`, whose first is the font the pages name.
    pub(super) fn write(&self, pdf: &mut Pdf, ids: [Ref; 5]) -> Result<(), AppError> {
        let [font_id, cid_id, descriptor_id, file_id, cmap_id] = ids;
        let subset = subsetter::subset(self.data, 0, &self.subset)
            .map_err(|e| AppError::internal(format!("subsetting {}: {e}", self.postscript_name)))?;
        // A subset's name starts with a tag of six capitals (PDF 32000 9.6.4).
        let tag = subset_tag(&self.shows);
        let base_font = format!("{tag}+{}", self.postscript_name);
        let system_info = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };

        pdf.type0_font(font_id)
            .base_font(Name(base_font.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_id)
            .to_unicode(cmap_id);

        let mut cid = pdf.cid_font(cid_id);
        cid.subtype(CidFontType::Type2)
            .base_font(Name(base_font.as_bytes()))
            .system_info(system_info)
            .font_descriptor(descriptor_id)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid.widths().consecutive(
            0,
            self.subset
                .remapped_gids()
                .map(|old_id| self.advance(GlyphId(old_id))),
        );
        cid.finish();

        let scale = |units: i16| f32::from(units) * 1000.0 / f32::from(self.face.units_per_em());
        let bbox = self.face.global_bounding_box();
        pdf.font_descriptor(descriptor_id)
            .name(Name(base_font.as_bytes()))
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(
                scale(bbox.x_min),
                scale(bbox.y_min),
                scale(bbox.x_max),
                scale(bbox.y_max),
            ))
            .italic_angle(self.face.italic_angle())
            .ascent(scale(self.face.ascender()))
            .descent(scale(self.face.descender()))
            .cap_height(scale(
                self.face.capital_height().unwrap_or(self.face.ascender()),
            ))
            .stem_v(80.0)
            .font_file2(file_id);

        let compressed = super::pdf::deflate(&subset);
        pdf.stream(file_id, &compressed)
            .filter(Filter::FlateDecode)
            .pair(Name(b"Length1"), subset.len() as i32);

        let mut cmap = UnicodeCmap::new(Name(b"Einblick-UTF16"), system_info);
        for (id, c) in &self.shows {
            cmap.pair(*id, *c);
        }
        pdf.cmap(cmap_id, &cmap.finish());
        Ok(())
    }
}

/// Six capitals derived from the glyphs used, so two different subsets of one font in one
/// reader's cache never share a name.
fn subset_tag(shows: &BTreeMap<u16, char>) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for (id, c) in shows {
        hasher.update(id.to_be_bytes());
        hasher.update((*c as u32).to_be_bytes());
    }
    hasher
        .finalize()
        .iter()
        .take(6)
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}
