//! Spelling aids for reading a teleTAN aloud: the German (DIN 5009, the
//! traditional names) and the international (ICAO/NATO) alphabets, for the
//! 31 characters a teleTAN uses.

/// The German and the international word for `c`.
pub fn spell(c: char) -> (&'static str, &'static str) {
    match c {
        '2' => ("Zwo", "Two"),
        '3' => ("Drei", "Three"),
        '4' => ("Vier", "Four"),
        '5' => ("Fünf", "Five"),
        '6' => ("Sechs", "Six"),
        '7' => ("Sieben", "Seven"),
        '8' => ("Acht", "Eight"),
        '9' => ("Neun", "Nine"),
        'A' => ("Anton", "Alfa"),
        'B' => ("Berta", "Bravo"),
        'C' => ("Cäsar", "Charlie"),
        'D' => ("Dora", "Delta"),
        'E' => ("Emil", "Echo"),
        'F' => ("Friedrich", "Foxtrot"),
        'G' => ("Gustav", "Golf"),
        'H' => ("Heinrich", "Hotel"),
        'J' => ("Julius", "Juliett"),
        'K' => ("Kaufmann", "Kilo"),
        'M' => ("Martha", "Mike"),
        'N' => ("Nordpol", "November"),
        'P' => ("Paula", "Papa"),
        'Q' => ("Quelle", "Quebec"),
        'R' => ("Richard", "Romeo"),
        'S' => ("Samuel", "Sierra"),
        'T' => ("Theodor", "Tango"),
        'U' => ("Ulrich", "Uniform"),
        'V' => ("Viktor", "Victor"),
        'W' => ("Wilhelm", "Whiskey"),
        'X' => ("Xanthippe", "X-ray"),
        'Y' => ("Ypsilon", "Yankee"),
        'Z' => ("Zacharias", "Zulu"),
        _ => ("?", "?"),
    }
}

/// The teleTAN in groups for reading aloud: `ABCDE FGHJK`.
pub fn grouped(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    chars
        .chunks(5)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}
