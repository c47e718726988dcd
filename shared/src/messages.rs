//! What a person reads when the server refuses a request: one sentence in
//! German and one in English for each stable error code of the server's
//! error body `{"error", "message"}` (`api/src/error.rs`), saying what went
//! wrong and what to do. The portal and the verifier show these instead of
//! the server's English `message`, which is written for developers.
//!
//! `{seconds}` in a sentence stands for the seconds of a `Retry-After`.

/// A sentence in German and in English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advice {
    /// Deutsch.
    pub de: &'static str,
    /// English.
    pub en: &'static str,
}

const fn advice(de: &'static str, en: &'static str) -> Advice {
    Advice { de, en }
}

/// Every error code the server sends, with its sentences.
pub const ADVICE: &[(&str, Advice)] = &[
    // Status-wide codes (api/src/error.rs, AppError::code).
    (
        "unauthorized",
        advice(
            "Anmeldung nicht möglich: Benutzername, Passwort oder Code stimmt nicht, oder die Sitzung ist abgelaufen. Bitte prüfen und erneut anmelden.",
            "Could not log you in: the user name, password or code is wrong, or the session has expired. Please check them and log in again.",
        ),
    ),
    (
        "forbidden",
        advice(
            "Das ist mit dieser Rolle nicht erlaubt, oder die Seite ist veraltet. Bitte die Seite neu laden; hilft das nicht, die Administration fragen.",
            "Your role may not do this, or the page is out of date. Please reload the page; if that does not help, ask an administrator.",
        ),
    ),
    (
        "not_found",
        advice(
            "Nicht gefunden: Der Eintrag existiert nicht (mehr). Bitte die Seite neu laden.",
            "Not found: the entry does not exist (any more). Please reload the page.",
        ),
    ),
    (
        "conflict",
        advice(
            "Das ist schon geschehen und kann nicht zweimal geschehen. Bitte die Seite neu laden.",
            "This has already been done and cannot be done twice. Please reload the page.",
        ),
    ),
    (
        "gone",
        advice(
            "Das wird nicht mehr aufbewahrt. Bitte neu beginnen.",
            "This is no longer kept. Please start again.",
        ),
    ),
    (
        "payload_too_large",
        advice(
            "Die Datei oder Anfrage ist zu groß. Bitte in kleineren Teilen senden.",
            "The file or request is too large. Please send it in smaller parts.",
        ),
    ),
    (
        "too_many_keys",
        advice(
            "Zu viele Schlüssel in einer Sendung. Bitte in kleineren Teilen senden.",
            "Too many keys in one upload. Please send them in smaller parts.",
        ),
    ),
    (
        "unsupported_media_type",
        advice(
            "Dieses Format nimmt der Server nicht an. Bitte die Seite neu laden und es erneut versuchen.",
            "The server does not accept this format. Please reload the page and try again.",
        ),
    ),
    (
        "rate_limited",
        advice(
            "Zu viele Versuche in kurzer Zeit. Bitte in {seconds} Sekunden erneut versuchen.",
            "Too many attempts in a short time. Please try again in {seconds} seconds.",
        ),
    ),
    (
        "internal",
        advice(
            "Beim Server ist ein Fehler aufgetreten. Bitte später erneut versuchen; bleibt er, den Betrieb informieren.",
            "The server ran into an error. Please try again later; if it persists, tell the operators.",
        ),
    ),
    // Portal: users, labs, statistics.
    (
        "own_account",
        advice(
            "Das eigene Konto kann man nicht selbst deaktivieren oder zurücksetzen. Bitte eine andere Administratorin oder einen anderen Administrator fragen.",
            "You cannot disable or reset your own account. Please ask another administrator.",
        ),
    ),
    (
        "user_exists",
        advice(
            "Diesen Benutzernamen gibt es schon. Bitte einen anderen wählen.",
            "This user name is taken. Please choose another one.",
        ),
    ),
    (
        "weak_password",
        advice(
            "Das Passwort ist zu kurz: Bitte mindestens 12 Zeichen verwenden.",
            "The password is too short: please use at least 12 characters.",
        ),
    ),
    (
        "invalid_name",
        advice(
            "Der Name ist nicht zulässig: 1 bis 64 Zeichen aus Buchstaben, Ziffern, „.“, „-“, „_“ und „@“.",
            "The name is not allowed: 1 to 64 characters of letters, digits, '.', '-', '_' and '@'.",
        ),
    ),
    (
        "lab_exists",
        advice(
            "Ein Labor mit diesem Namen gibt es schon. Bitte einen anderen Namen wählen.",
            "A lab with this name exists. Please choose another name.",
        ),
    ),
    (
        "invalid_days",
        advice(
            "Dieser Zeitraum ist nicht möglich. Bitte einen kürzeren wählen.",
            "This period is not possible. Please choose a shorter one.",
        ),
    ),
    (
        "invalid_query",
        advice(
            "Die Anfrage ist unvollständig. Bitte die Eingaben prüfen und die Seite neu laden.",
            "The request is incomplete. Please check what you entered and reload the page.",
        ),
    ),
    // teleTANs and the phone's registration.
    (
        "teletan_check_character",
        advice(
            "Die teleTAN stimmt nicht: Ihr letztes Zeichen passt nicht zu den anderen. Bitte jedes Zeichen mit der Hotline vergleichen und erneut eingeben.",
            "The teleTAN is wrong: its last character does not fit the others. Please compare each character with the hotline and enter it again.",
        ),
    ),
    (
        "invalid_teletan",
        advice(
            "Das ist keine teleTAN: Sie hat 10 Zeichen aus Buchstaben und Ziffern. Bitte erneut eingeben.",
            "This is not a teleTAN: it has 10 characters of letters and digits. Please enter it again.",
        ),
    ),
    (
        "teletan_unknown",
        advice(
            "Diese teleTAN ist unbekannt, abgelaufen oder schon benutzt. Bitte bei der Hotline eine neue erfragen.",
            "This teleTAN is unknown, expired or already used. Please ask the hotline for a new one.",
        ),
    ),
    (
        "issuer",
        advice(
            "Die teleTAN konnte nicht ausgegeben werden. Bitte die Seite neu laden und erneut versuchen.",
            "The teleTAN could not be issued. Please reload the page and try again.",
        ),
    ),
    (
        "batch_size",
        advice(
            "Diese Anzahl ist nicht möglich. Bitte die erlaubte Anzahl (siehe Feld) eingeben.",
            "This number is not possible. Please enter a number within the allowed range (see the field).",
        ),
    ),
    (
        "guid_already_registered",
        advice(
            "Dieser Test ist schon registriert. Bitte den QR-Code nicht zweimal scannen; das Ergebnis kommt auf dem ersten Telefon an.",
            "This test is already registered. Please do not scan the QR code twice; the result arrives on the first phone.",
        ),
    ),
    (
        "invalid_guid",
        advice(
            "Das ist kein gültiger Test-Code. Bitte den QR-Code erneut scannen oder die GUID vollständig eingeben.",
            "This is not a valid test code. Please scan the QR code again or enter the whole GUID.",
        ),
    ),
    (
        "unknown_registration_token",
        advice(
            "Diese Registrierung kennt der Server nicht (mehr). Bitte den Test erneut registrieren.",
            "The server does not know this registration (any more). Please register the test again.",
        ),
    ),
    (
        "tan_quota_exhausted",
        advice(
            "Für diesen Test wurden schon alle TANs ausgegeben. Zum Warnen bitte bei der Hotline eine teleTAN erfragen.",
            "This test has already received all its TANs. To warn others, please ask the hotline for a teleTAN.",
        ),
    ),
    (
        "test_result_not_positive",
        advice(
            "Eine TAN gibt es nur für ein positives Ergebnis. Bitte auf das Ergebnis warten.",
            "A TAN is given only for a positive result. Please wait for the result.",
        ),
    ),
    (
        "missing_tan",
        advice(
            "Zum Warnen fehlt die TAN. Bitte zuerst eine TAN anfordern.",
            "The TAN for warning is missing. Please request a TAN first.",
        ),
    ),
    // Lab results.
    (
        "invalid_id",
        advice(
            "Eine Proben-Kennung ist ungültig. Bitte die GUID der Probe prüfen.",
            "A sample id is invalid. Please check the sample's GUID.",
        ),
    ),
    (
        "invalid_result",
        advice(
            "Ein Ergebnis ist ungültig: erlaubt sind negativ, positiv und ungültig. Bitte die Zeile prüfen.",
            "A result is invalid: negative, positive and invalid are allowed. Please check the row.",
        ),
    ),
    (
        "invalid_sample_time",
        advice(
            "Eine Probenzeit ist ungültig. Bitte Datum und Uhrzeit der Probe prüfen.",
            "A sample time is invalid. Please check the sample's date and time.",
        ),
    ),
    // Keys (phone upload) and the federation gateway.
    (
        "malformed_json",
        advice(
            "Die Anfrage ist beschädigt. Bitte die Seite neu laden und erneut versuchen.",
            "The request is damaged. Please reload the page and try again.",
        ),
    ),
    (
        "malformed_protobuf",
        advice(
            "Die Daten sind beschädigt. Bitte die Seite neu laden und erneut versuchen.",
            "The data is damaged. Please reload the page and try again.",
        ),
    ),
    (
        "invalid_key",
        advice(
            "Ein Schlüssel ist ungültig. Bitte die Daten prüfen.",
            "A key is invalid. Please check the data.",
        ),
    ),
    (
        "invalid_batch",
        advice(
            "Die Sendung ist kein gültiger Schlüsselstapel. Bitte die Daten prüfen.",
            "The upload is not a valid key batch. Please check the data.",
        ),
    ),
    (
        "empty_batch",
        advice(
            "Die Sendung enthält keinen Schlüssel.",
            "The upload holds no key.",
        ),
    ),
    (
        "invalid_batch_tag",
        advice(
            "Die Stapel-Kennung ist ungültig. Bitte die Kennung prüfen.",
            "The batch tag is invalid. Please check it.",
        ),
    ),
    (
        "invalid_origin",
        advice(
            "Ein Schlüssel nennt ein anderes Herkunftsland als der Absender.",
            "A key names another country of origin than the sender.",
        ),
    ),
    (
        "invalid_signature",
        advice(
            "Die Signatur passt nicht zu den Daten oder zum Absender.",
            "The signature does not match the data or the sender.",
        ),
    ),
    (
        "invalid_date",
        advice(
            "Das Datum ist ungültig oder liegt außerhalb der Aufbewahrungszeit.",
            "The date is invalid or outside the retention period.",
        ),
    ),
    (
        "missing_header",
        advice(
            "Der Anfrage fehlt eine Angabe. Bitte die Seite neu laden.",
            "The request lacks a header. Please reload the page.",
        ),
    ),
    (
        "invalid_url",
        advice(
            "Die Adresse muss mit http:// oder https:// beginnen.",
            "The address must start with http:// or https://.",
        ),
    ),
    (
        "invalid_callback_id",
        advice(
            "Die Callback-Kennung ist ungültig. Bitte die Kennung prüfen.",
            "The callback id is invalid. Please check it.",
        ),
    ),
    // Added on dev after the first list: passwords, administrators, labs,
    // the date-of-birth id, the gateway and the request time limit.
    (
        "wrong_password",
        advice(
            "Das jetzige Passwort stimmt nicht. Bitte erneut eingeben.",
            "The current password is wrong. Please enter it again.",
        ),
    ),
    (
        "same_password",
        advice(
            "Das neue Passwort muss sich vom jetzigen unterscheiden. Bitte ein anderes wählen.",
            "The new password must differ from the current one. Please choose another one.",
        ),
    ),
    (
        "last_admin",
        advice(
            "Das ist das letzte aktive Administrationskonto. Bitte zuerst ein weiteres Administrationskonto hinzufügen oder aktivieren.",
            "This is the last enabled administrator. Please add or enable another administrator first.",
        ),
    ),
    (
        "result_of_another_lab",
        advice(
            "Ein anderes Labor hat das Ergebnis eines dieser Tests schon gemeldet; nichts wurde gespeichert. Bitte die Test-IDs prüfen.",
            "Another lab has already reported the result of one of these tests; nothing was stored. Please check the test ids.",
        ),
    ),
    (
        "invalid_key_dob",
        advice(
            "Die Kennung zum Geburtsdatum ist ungültig. Bitte das Geburtsdatum prüfen und erneut senden.",
            "The date-of-birth id is invalid. Please check the date of birth and send it again.",
        ),
    ),
    (
        "date_mismatch",
        advice(
            "Die Batch-Kennung gehört zu einem anderen Datum. Bitte Datum und Kennung prüfen.",
            "The batch tag belongs to another date. Please check the date and the tag.",
        ),
    ),
    (
        "too_many_callbacks",
        advice(
            "Für dieses Land sind schon so viele Callbacks registriert wie erlaubt. Bitte zuerst einen löschen.",
            "This country has already registered as many callbacks as allowed. Please delete one first.",
        ),
    ),
    (
        "request_timeout",
        advice(
            "Die Anfrage hat zu lange gedauert. Bitte die Verbindung prüfen und erneut versuchen.",
            "The request took too long. Please check the connection and try again.",
        ),
    ),
];

/// The sentences for `code`, when the code is known.
pub fn advice_for(code: &str) -> Option<Advice> {
    ADVICE
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, advice)| *advice)
}

/// The sentence for `code` in German (`german`) or English, with a rate
/// limit's `retry_after` seconds filled in (at least 1).
pub fn sentence(code: &str, german: bool, retry_after: Option<u64>) -> Option<String> {
    let advice = advice_for(code)?;
    let text = if german { advice.de } else { advice.en };
    let seconds = retry_after.unwrap_or(1).max(1).to_string();
    Some(text.replace("{seconds}", &seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code the server's sources send: `bad_request("code", …)` and
    /// the status-wide codes of `AppError::code`.
    fn server_codes() -> std::collections::BTreeSet<String> {
        let api = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/src");
        let mut codes = std::collections::BTreeSet::new();
        let mut folders = vec![api];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).expect("api/src is readable") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    folders.push(path);
                    continue;
                }
                if path.extension().is_none_or(|extension| extension != "rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("a source file");
                // A module's own tests answer with codes of their own (a
                // fake route's "invalid"): the server never sends those.
                let text = text
                    .split("\n#[cfg(test)]\nmod tests")
                    .next()
                    .unwrap_or_default();
                for part in text.split("bad_request(").skip(1) {
                    let rest = part.trim_start();
                    if let Some(rest) = rest.strip_prefix('"')
                        && let Some(end) = rest.find('"')
                    {
                        codes.insert(rest[..end].to_owned());
                    }
                }
                if path.ends_with("error.rs") && text.contains("fn code(&self)") {
                    let body = text.split("fn code(&self)").nth(1).expect("fn code");
                    let body = body.split("\n    }\n").next().expect("its body");
                    for part in body.split("=> \"").skip(1) {
                        let end = part.find('"').expect("a closing quote");
                        codes.insert(part[..end].to_owned());
                    }
                }
            }
        }
        codes
    }

    #[test]
    fn every_code_the_server_sends_has_a_sentence_in_both_languages() {
        let codes = server_codes();
        assert!(codes.len() > 30, "the scan found only {codes:?}");
        let missing: Vec<&String> = codes
            .iter()
            .filter(|code| advice_for(code).is_none())
            .collect();
        assert!(missing.is_empty(), "no sentence for {missing:?}");
        for code in &codes {
            let de = sentence(code, true, Some(29)).expect("known");
            let en = sentence(code, false, Some(29)).expect("known");
            assert_ne!(de, en, "{code}");
            for text in [&de, &en] {
                assert!(text.ends_with('.'), "{code}: {text:?} is not a sentence");
                assert!(
                    !text.contains('{'),
                    "{code}: {text:?} has a placeholder left"
                );
            }
        }
    }

    #[test]
    fn each_code_is_listed_once() {
        let mut seen = std::collections::BTreeSet::new();
        for (code, _) in ADVICE {
            assert!(seen.insert(code), "{code} is listed twice");
        }
    }

    #[test]
    fn the_main_codes_read_as_people_expect() {
        let table = [
            (
                "unauthorized",
                None,
                "Anmeldung nicht möglich: Benutzername, Passwort oder Code stimmt nicht, oder die Sitzung ist abgelaufen. Bitte prüfen und erneut anmelden.",
                "Could not log you in: the user name, password or code is wrong, or the session has expired. Please check them and log in again.",
            ),
            (
                "rate_limited",
                Some(29),
                "Zu viele Versuche in kurzer Zeit. Bitte in 29 Sekunden erneut versuchen.",
                "Too many attempts in a short time. Please try again in 29 seconds.",
            ),
            (
                "own_account",
                None,
                "Das eigene Konto kann man nicht selbst deaktivieren oder zurücksetzen. Bitte eine andere Administratorin oder einen anderen Administrator fragen.",
                "You cannot disable or reset your own account. Please ask another administrator.",
            ),
            (
                "teletan_check_character",
                None,
                "Die teleTAN stimmt nicht: Ihr letztes Zeichen passt nicht zu den anderen. Bitte jedes Zeichen mit der Hotline vergleichen und erneut eingeben.",
                "The teleTAN is wrong: its last character does not fit the others. Please compare each character with the hotline and enter it again.",
            ),
        ];
        for (code, retry_after, de, en) in table {
            assert_eq!(sentence(code, true, retry_after).as_deref(), Some(de));
            assert_eq!(sentence(code, false, retry_after).as_deref(), Some(en));
        }
        assert_eq!(sentence("no_such_code", true, None), None);
    }
}
