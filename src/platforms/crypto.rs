//! WeChat mini-program open data decryption (开放数据校验与解密).
//!
//! The mini-program hands the client `encryptedData` and `iv`; the server decrypts
//! them with the user's `session_key` using AES-128-CBC with PKCS#7 padding, then
//! checks the watermark so data issued to another app is not accepted.

use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::PlatformError;

type Aes128CbcDec = cbc::Decryptor<aes::Aes128>;

// Open data is a few hundred bytes; refuse megabytes of junk before decoding it.
const MAX_ENCRYPTED_LEN: usize = 64 * 1024;

/// Decrypts mini-program `encryptedData` (user info, phone number, run data…) and
/// checks that its watermark names our mini-program, so data from another app is refused.
pub fn decrypt_mini_program_data(
    session_key_b64: &str,
    encrypted_data_b64: &str,
    iv_b64: &str,
    expected_app_id: &str,
) -> Result<serde_json::Value, PlatformError> {
    let key = decode_16(session_key_b64, "session key")?;
    let iv = decode_16(iv_b64, "iv")?;
    if encrypted_data_b64.len() > MAX_ENCRYPTED_LEN {
        return Err(PlatformError::InvalidData("encrypted data too long".into()));
    }
    let ciphertext = STANDARD
        .decode(encrypted_data_b64)
        .map_err(|_| PlatformError::InvalidData("encrypted data is not base64".into()))?;

    let plaintext = Aes128CbcDec::new(&key.into(), &iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(&ciphertext)
        // Almost always a stale session key: the user logged in again since.
        .map_err(|_| PlatformError::InvalidData("decryption failed (bad padding)".into()))?;

    let value: serde_json::Value = serde_json::from_slice(&plaintext)
        .map_err(|_| PlatformError::InvalidData("decrypted data is not JSON".into()))?;

    let watermark_app_id = value
        .get("watermark")
        .and_then(|w| w.get("appid"))
        .and_then(|a| a.as_str());
    match watermark_app_id {
        Some(app_id) if app_id == expected_app_id => Ok(value),
        Some(_) => Err(PlatformError::InvalidData("watermark app id does not match".into())),
        None => Err(PlatformError::InvalidData("watermark missing".into())),
    }
}

fn decode_16(b64: &str, what: &str) -> Result<[u8; 16], PlatformError> {
    let bytes = STANDARD
        .decode(b64)
        .map_err(|_| PlatformError::InvalidData(format!("{what} is not base64")))?;
    <[u8; 16]>::try_from(bytes.as_slice()).map_err(|_| PlatformError::InvalidData(format!("{what} is not 16 bytes")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use aes::cipher::{BlockEncryptMut, block_padding::NoPadding};

    type Aes128CbcEnc = cbc::Encryptor<aes::Aes128>;

    // The sample published with WeChat's official decryption demo (aes-sample,
    // demo.js / demo.php / demo.py on the 开放数据校验与解密 page).
    const SAMPLE_APP_ID: &str = "wx4f4bc4dec97d474b";
    const SAMPLE_SESSION_KEY: &str = "tiihtNczf5v6AKRyjwEUhQ==";
    const SAMPLE_IV: &str = "r7BXXKkLb8qrSNn05n0qiA==";
    const SAMPLE_ENCRYPTED_DATA: &str = concat!(
        "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZM",
        "QmRzooG2xrDcvSnxIMXFufNstNGTyaGS",
        "9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+",
        "3hVbJSRgv+4lGOETKUQz6OYStslQ142d",
        "NCuabNPGBzlooOmB231qMM85d2/fV6Ch",
        "evvXvQP8Hkue1poOFtnEtpyxVLW1zAo6",
        "/1Xx1COxFvrc2d7UL/lmHInNlxuacJXw",
        "u0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn",
        "/Hz7saL8xz+W//FRAUid1OksQaQx4CMs",
        "8LOddcQhULW4ucetDf96JcR3g0gfRK4P",
        "C7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB",
        "6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns",
        "/8wR2SiRS7MNACwTyrGvt9ts8p12PKFd",
        "lqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYV",
        "oKlaRv85IfVunYzO0IKXsyl7JCUjCpoG",
        "20f0a04COwfneQAGGwd5oa+T8yO5hzuy",
        "Db/XcxxmK01EpqOyuxINew==",
    );

    fn encrypt(key: &[u8; 16], iv: &[u8; 16], plaintext: &[u8]) -> String {
        let ciphertext = Aes128CbcEnc::new(key.into(), iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plaintext);
        STANDARD.encode(ciphertext)
    }

    #[test]
    fn decrypts_wechat_published_sample() {
        let value =
            decrypt_mini_program_data(SAMPLE_SESSION_KEY, SAMPLE_ENCRYPTED_DATA, SAMPLE_IV, SAMPLE_APP_ID).unwrap();
        let expected = serde_json::json!({
            "openId": "oGZUI0egBJY1zhBYw2KhdUfwVJJE",
            "nickName": "Band",
            "gender": 1,
            "language": "zh_CN",
            "city": "Guangzhou",
            "province": "Guangdong",
            "country": "CN",
            "avatarUrl": "http://wx.qlogo.cn/mmopen/vi_32/aSKcBBPpibyKNicHNTMM0qJVh8Kjgiak2AHWr8MHM4WgMEm7GFhsf8OYrySdbvAMvTsw3mo8ibKicsnfN5pRjl1p8HQ/0",
            "unionId": "ocMvos6NjeKLIBqg5Mr9QjxrP1FA",
            "watermark": { "timestamp": 1477314187, "appid": "wx4f4bc4dec97d474b" }
        });
        assert_eq!(value, expected);
    }

    #[test]
    fn sample_for_another_app_is_refused() {
        let err = decrypt_mini_program_data(
            SAMPLE_SESSION_KEY,
            SAMPLE_ENCRYPTED_DATA,
            SAMPLE_IV,
            "wx0000000000000000",
        )
        .unwrap_err();
        assert!(matches!(err, PlatformError::InvalidData(m) if m.contains("watermark")));
    }

    #[test]
    fn wrong_watermark_app_id_is_refused() {
        let key = [7u8; 16];
        let iv = [9u8; 16];
        let data = encrypt(
            &key,
            &iv,
            br#"{"phoneNumber":"13800138000","watermark":{"appid":"wxOTHER","timestamp":1}}"#,
        );
        let err = decrypt_mini_program_data(&STANDARD.encode(key), &data, &STANDARD.encode(iv), "wxMINE").unwrap_err();
        assert!(matches!(err, PlatformError::InvalidData(m) if m.contains("watermark")));

        let data = encrypt(&key, &iv, br#"{"phoneNumber":"13800138000"}"#);
        let err = decrypt_mini_program_data(&STANDARD.encode(key), &data, &STANDARD.encode(iv), "wxMINE").unwrap_err();
        assert!(matches!(err, PlatformError::InvalidData(m) if m.contains("watermark missing")));
    }

    #[test]
    fn bad_padding_is_invalid_data() {
        let key = [1u8; 16];
        let iv = [2u8; 16];
        // One block whose last plaintext byte is 0x00, which no PKCS#7 padding ends with.
        let mut block = *b"{\"a\":1}\0\0\0\0\0\0\0\0\0";
        let ciphertext = Aes128CbcEnc::new(&key.into(), &iv.into())
            .encrypt_padded_mut::<NoPadding>(&mut block, 16)
            .unwrap()
            .to_vec();
        let err = decrypt_mini_program_data(
            &STANDARD.encode(key),
            &STANDARD.encode(&ciphertext),
            &STANDARD.encode(iv),
            "wx",
        )
        .unwrap_err();
        assert!(matches!(err, PlatformError::InvalidData(m) if m.contains("padding")));

        // Not a whole number of blocks.
        let err = decrypt_mini_program_data(
            &STANDARD.encode(key),
            &STANDARD.encode([0u8; 17]),
            &STANDARD.encode(iv),
            "wx",
        )
        .unwrap_err();
        assert!(matches!(err, PlatformError::InvalidData(_)));
    }

    #[test]
    fn malformed_inputs_are_invalid_data() {
        let cases = [
            ("not base64!", SAMPLE_ENCRYPTED_DATA, SAMPLE_IV),
            ("AAAA", SAMPLE_ENCRYPTED_DATA, SAMPLE_IV),
            (SAMPLE_SESSION_KEY, SAMPLE_ENCRYPTED_DATA, "AAAA"),
            (SAMPLE_SESSION_KEY, "%%%", SAMPLE_IV),
        ];
        for (key, data, iv) in cases {
            let err = decrypt_mini_program_data(key, data, iv, SAMPLE_APP_ID).unwrap_err();
            assert!(matches!(err, PlatformError::InvalidData(_)));
        }
        // Right key and data, wrong iv: only the first block garbles, so the JSON breaks.
        let err = decrypt_mini_program_data(
            SAMPLE_SESSION_KEY,
            SAMPLE_ENCRYPTED_DATA,
            &STANDARD.encode([0u8; 16]),
            SAMPLE_APP_ID,
        )
        .unwrap_err();
        assert!(matches!(err, PlatformError::InvalidData(_)));
    }
}
