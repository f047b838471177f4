//! The small CSV dialect of the import files: one record per line, comma-separated, double
//! quotes around fields that hold commas or quotes (`""` for a quote). A quoted field cannot
//! span lines.

/// The fields of one line.
pub fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut current)),
            (c, _) => current.push(c),
        }
    }
    fields.push(current);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_keep_commas_and_quotes() {
        assert_eq!(
            csv_fields(r#"C-1,"Muster, Anna","say ""hi""",de"#),
            ["C-1", "Muster, Anna", "say \"hi\"", "de"]
        );
        assert_eq!(csv_fields("a,,b"), ["a", "", "b"]);
    }
}
