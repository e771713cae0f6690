//! The RPC signer against Aliyun's documented worked examples.

use super::*;

/// Worked example from Aliyun's "Request syntax and signature method V2
/// for RPC APIs" / "Request signature" page (ECS DescribeRegions, GET,
/// AccessKeyId `testid`, secret `testsecret`).
#[test]
fn reproduces_the_rpc_signature_doc_example() {
    let params: BTreeMap<&str, &str> = [
        ("Timestamp", "2016-02-23T12:46:24Z"),
        ("Format", "XML"),
        ("AccessKeyId", "testid"),
        ("Action", "DescribeRegions"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("Version", "2014-05-26"),
        ("SignatureVersion", "1.0"),
    ]
    .into_iter()
    .collect();
    let sts = string_to_sign("GET", &canonical_query(&params));
    assert_eq!(
        sts,
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML\
         %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf\
         %26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z\
         %26Version%3D2014-05-26"
    );
    assert_eq!(sign("testsecret", &sts), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
}

/// Worked example from Aliyun SMS's own signature page ("HTTP协议及签名",
/// document_detail/56189): SendSms with a Chinese SignName and a JSON
/// TemplateParam, AccessKeyId `testId`, secret `testSecret`.
#[test]
fn reproduces_the_dysmsapi_send_sms_doc_example() {
    let params: BTreeMap<&str, &str> = [
        ("AccessKeyId", "testId"),
        ("Action", "SendSms"),
        ("Format", "XML"),
        ("OutId", "123"),
        ("PhoneNumbers", "15300000001"),
        ("RegionId", "cn-hangzhou"),
        ("SignName", "阿里云短信测试专用"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
        ("SignatureVersion", "1.0"),
        ("TemplateCode", "SMS_71390007"),
        ("TemplateParam", r#"{"customer":"test"}"#),
        ("Timestamp", "2017-07-12T02:42:19Z"),
        ("Version", "2017-05-25"),
    ]
    .into_iter()
    .collect();
    let canonical = canonical_query(&params);
    assert_eq!(
        canonical,
        "AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001\
         &RegionId=cn-hangzhou&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8\
         &SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466\
         &SignatureVersion=1.0&TemplateCode=SMS_71390007\
         &TemplateParam=%7B%22customer%22%3A%22test%22%7D\
         &Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25"
    );
    let sts = string_to_sign("GET", &canonical);
    assert_eq!(
        sts,
        "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123\
         %26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou\
         %26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8\
         %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466\
         %26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007\
         %26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D\
         %26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
    );
    assert_eq!(sign("testSecret", &sts), "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
}

#[test]
fn percent_encoding_follows_aliyun_rules() {
    assert_eq!(percent_encode("a b*c~d+/="), "a%20b%2Ac~d%2B%2F%3D");
}

#[test]
fn signed_form_adds_the_common_parameters_and_verifies() {
    let signer = RpcSigner {
        access_key_id: "testId",
        access_key_secret: "testSecret",
        timestamp: "2017-07-12T02:42:19Z",
        nonce: "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    };
    let form = signed_form(&signer, "SendSms", "2017-05-25", &[("PhoneNumbers", "15300000001")]);
    let (unsigned, signature) = form.rsplit_once("&Signature=").unwrap();
    assert!(unsigned.starts_with("AccessKeyId=testId&Action=SendSms&Format=JSON&PhoneNumbers=15300000001"));
    let params: BTreeMap<&str, &str> = unsigned.split('&').filter_map(|p| p.split_once('=')).collect();
    let decoded: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| {
            let d = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .unwrap()
                    .into_owned()
            };
            (d(k), d(v))
        })
        .collect();
    let borrowed: BTreeMap<&str, &str> = decoded.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let expected = expected_signature("testSecret", "POST", &borrowed);
    assert_eq!(signature, percent_encode(&expected));
}
