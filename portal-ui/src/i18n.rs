//! German and English. The language is a signal in context, so switching
//! redraws every text at once. Each text is written as a German/English
//! pair where it is used.
//!
//! The first visit follows the browser's languages (the first German or
//! English one; German when neither is listed). A choice made with the
//! switch is kept in `localStorage` ([`STORAGE_KEY`]), which both apps (the
//! portal and the verifier, one origin) read, so it holds across reloads
//! and links between them.

use leptos::prelude::*;

/// A language of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Deutsch (default).
    De,
    /// English.
    En,
}

impl Lang {
    /// The text for this language.
    pub fn pick(self, de: &'static str, en: &'static str) -> &'static str {
        match self {
            Self::De => de,
            Self::En => en,
        }
    }

    /// The same language for the verifier's sentences.
    pub fn language(self) -> verifier::Language {
        match self {
            Self::De => verifier::Language::German,
            Self::En => verifier::Language::English,
        }
    }

    /// The `lang` attribute value.
    pub fn code(self) -> &'static str {
        match self {
            Self::De => "de",
            Self::En => "en",
        }
    }
}

/// The `localStorage` key of the chosen language (`"de"` or `"en"`).
pub const STORAGE_KEY: &str = "warn-lang";

impl Lang {
    /// The language a `lang` code names (`"de"`, `"de-AT"`, `"en-GB"`, …).
    pub fn from_code(code: &str) -> Option<Self> {
        let primary = code.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "de" => Some(Self::De),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The first of the browser's `languages` (in its order of preference)
    /// that is German or English; German when none is.
    pub fn preferred<'a>(languages: impl IntoIterator<Item = &'a str>) -> Self {
        languages
            .into_iter()
            .find_map(Self::from_code)
            .unwrap_or(Self::De)
    }
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// The remembered choice, else the browser's languages.
fn initial() -> Lang {
    if let Some(lang) = storage()
        .and_then(|storage| storage.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|code| Lang::from_code(&code))
    {
        return lang;
    }
    let navigator = window().navigator();
    let mut languages: Vec<String> = navigator
        .languages()
        .iter()
        .filter_map(|language| language.as_string())
        .collect();
    if let Some(language) = navigator.language() {
        languages.push(language);
    }
    Lang::preferred(languages.iter().map(String::as_str))
}

/// Puts the language signal into context (see the module's doc).
pub fn provide_lang() -> RwSignal<Lang> {
    let lang = RwSignal::new(initial());
    provide_context(lang);
    lang
}

/// Switches to `chosen` and remembers it for the next visit.
pub fn choose(lang: RwSignal<Lang>, chosen: Lang) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(STORAGE_KEY, chosen.code());
    }
    lang.set(chosen);
}

/// The language signal.
pub fn use_lang() -> RwSignal<Lang> {
    use_context::<RwSignal<Lang>>().unwrap_or_else(|| RwSignal::new(Lang::De))
}

/// A reactive text: `tr(de, en)` follows the language switch.
pub fn tr(de: &'static str, en: &'static str) -> impl Fn() -> &'static str + Copy + 'static {
    let lang = use_lang();
    move || lang.get().pick(de, en)
}
