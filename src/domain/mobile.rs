use phonenumber::country::Id as Region;

/// A valid phone number in E.164 (`+8613113690000`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mobile(String);

impl Mobile {
    /// Accepts national (`13113690000`), international (`+86 131-1369-0000`)
    /// and bare country-code (`8613113690000`) forms; `None` for anything
    /// libphonenumber does not consider a valid number.
    pub fn parse(raw: &str, default_region: Region) -> Option<Self> {
        let raw = raw.trim();
        // A mobile is written in digits and punctuation. libphonenumber would
        // also read letters (`1-800-FLOWERS`, `tel:` URIs), which nobody signs
        // in with; refusing them here spares every username sign-in a parse
        // (~50 µs, a few per cent of a login's CPU besides its hash).
        if raw.is_empty() || raw.len() > 32 || raw.chars().any(char::is_alphabetic) {
            return None;
        }
        let valid = |text: &str, region: Option<Region>| {
            phonenumber::parse(region, text)
                .ok()
                .filter(phonenumber::is_valid)
                // `13800138001x99`: an extension is not part of a mobile.
                .filter(|number| number.extension().is_none())
                .map(|number| Mobile(number.format().mode(phonenumber::Mode::E164).to_string()))
        };
        valid(raw, Some(default_region)).or_else(|| {
            // `8613113690000`: digits that only make sense with a leading `+`.
            let digits_only = raw.bytes().all(|b| b.is_ascii_digit());
            if digits_only && raw.len() > 10 {
                valid(&format!("+{raw}"), None)
            } else {
                None
            }
        })
    }

    /// Builds from a value already stored in E.164.
    pub fn from_e164(stored: String) -> Self {
        Mobile(stored)
    }

    /// True when an SMS may be sent to this number: its region is one of
    /// `regions` and it is a mobile number (or one that may be), never a
    /// landline, premium-rate, shared-cost or other non-mobile number.
    pub fn can_receive_sms(&self, regions: &[Region]) -> bool {
        use phonenumber::Type;
        let Ok(number) = phonenumber::parse(None, &self.0) else {
            return false;
        };
        let in_region = number.country().id().is_some_and(|region| regions.contains(&region));
        let mobile = matches!(
            number.number_type(&phonenumber::metadata::DATABASE),
            Type::Mobile | Type::FixedLineOrMobile
        );
        in_region && mobile
    }

    /// The E.164 form, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number without its country code for mainland numbers (what
    /// Chinese apps display), the E.164 form otherwise.
    pub fn national(&self) -> &str {
        self.0.strip_prefix("+86").unwrap_or(&self.0)
    }

    /// `131****0001`: shown to anyone but the owner and admins.
    pub fn masked(&self) -> String {
        mask_mobile(self.national())
    }
}

/// Masks all but the first three and last four digits of a number.
pub fn mask_mobile(national: &str) -> String {
    let chars: Vec<char> = national.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_spellings_are_one_number() {
        let region = Region::CN;
        let expected = Some(Mobile("+8613113690000".into()));
        assert_eq!(Mobile::parse("13113690000", region), expected);
        assert_eq!(Mobile::parse("+86 131-1369-0000", region), expected);
        assert_eq!(Mobile::parse("8613113690000", region), expected);
    }

    #[test]
    fn garbage_is_refused() {
        for raw in ["", "abc", "123", "1311369000", "+86 131", "99999999999999999"] {
            assert_eq!(Mobile::parse(raw, Region::CN), None, "{raw}");
        }
    }

    #[test]
    fn letters_make_no_mobile() {
        // libphonenumber alone reads the first and third as numbers.
        for raw in [
            "1-800-FLOWERS",
            "+1 800 356 9377",
            "tel:+86-131-1369-0000",
            "1311369000o",
        ] {
            let parsed = Mobile::parse(raw, Region::US);
            assert_eq!(parsed.is_some(), raw == "+1 800 356 9377", "{raw}: {parsed:?}");
        }
    }

    #[test]
    fn masks_like_the_legacy_apps() {
        let mobile = Mobile::parse("13113690001", Region::CN).expect("valid");
        assert_eq!(mobile.masked(), "131****0001");
        assert_eq!(mobile.national(), "13113690001");
    }

    #[test]
    fn only_mobiles_of_the_allowed_regions_receive_sms() {
        use phonenumber::country::Id::{CN, US};
        let sms = |raw: &str, regions: &[Region]| Mobile::parse(raw, CN).is_some_and(|m| m.can_receive_sms(regions));
        assert!(sms("13800138000", &[CN]));
        assert!(sms("+8613113690001", &[CN]));
        assert!(!sms("+861062345678", &[CN]), "a Beijing landline");
        assert!(!sms("+12015550123", &[CN]), "a US number with only CN allowed");
        assert!(sms("+12015550123", &[CN, US]), "US numbers may be mobiles");
        assert!(!sms("+5352123456", &[CN]), "Cuba");
        assert!(!sms("+79161234567", &[CN]), "Russia");
        assert!(!sms("+8613800138000", &[]), "no region allowed");
        assert!(
            Mobile::parse("13800138001x99", CN).is_none(),
            "an extension is not a mobile"
        );
    }
}
