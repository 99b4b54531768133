package provider_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"hash/crc32"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// The public vectors: real PayPal sandbox deliveries, their signatures and
// the certificate that signed them, as PayPal's SDKs published them.
//
// ppSandboxCert is the document PayPal served at ppSandboxCertURL in May
// 2015 (CRLF line ends, no final newline), recorded by PayPal-node-SDK's
// test mocks (paypal/PayPal-node-SDK 965a132d test/mocks/notification.js,
// the reply to GET /v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77).
// Its subject is messageverificationcerts.sandbox.paypal.com, valid from
// 2015-03-18T00:00:00Z to 2017-03-22T12:00:00Z.
const ppSandboxCertURL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"

var ppSandboxCert = strings.ReplaceAll(`-----BEGIN CERTIFICATE-----
MIIHqDCCBpCgAwIBAgIQCSVMkxB1Kw9SPZtpAr3lTDANBgkqhkiG9w0BAQsFADB1
MQswCQYDVQQGEwJVUzEVMBMGA1UEChMMRGlnaUNlcnQgSW5jMRkwFwYDVQQLExB3
d3cuZGlnaWNlcnQuY29tMTQwMgYDVQQDEytEaWdpQ2VydCBTSEEyIEV4dGVuZGVk
IFZhbGlkYXRpb24gU2VydmVyIENBMB4XDTE1MDMxODAwMDAwMFoXDTE3MDMyMjEy
MDAwMFowggElMR0wGwYDVQQPDBRQcml2YXRlIE9yZ2FuaXphdGlvbjETMBEGCysG
AQQBgjc8AgEDEwJVUzEZMBcGCysGAQQBgjc8AgECEwhEZWxhd2FyZTEQMA4GA1UE
BRMHMzAxNDI2NzEWMBQGA1UECRMNMjIxMSBOIDFzdCBTdDEOMAwGA1UEERMFOTUx
MzExCzAJBgNVBAYTAlVTMRMwEQYDVQQIEwpDYWxpZm9ybmlhMREwDwYDVQQHEwhT
YW4gSm9zZTEVMBMGA1UEChMMUGF5UGFsLCBJbmMuMRgwFgYDVQQLEw9QYXJ0bmVy
IFN1cHBvcnQxNDAyBgNVBAMTK21lc3NhZ2V2ZXJpZmljYXRpb25jZXJ0cy5zYW5k
Ym94LnBheXBhbC5jb20wggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDI
XgwJj1E+vPOLNA7e3nFsRpQq7G1CFcoCNeRgFIGRfd4itt2jBRPfHXf1eeXODQ6V
wTMP6rVYrI3HBQu5SZRZKO3gALPiBWTcz5FhVovYDz/d/DtasA5L7l1xmRM+GGPE
e/D3ETPeyym6GTAuIzR1ju1BuSQlVnIrcILDHrFZo0RyqFH1eNL3oYfgz+ZCv+WH
65rhS60VowiLAb2lsARckJ2P8wKIps3YUxAqVG5SJ9H49ueBDI01wEzE/+59J8s9
GThmbMTqP6x4MneAcGN1TPimGd9wZlbwwrCYDtCoqFDcxMVgvD83uPrIinFwTIOX
w63QSv8/+ANuawBcNJDrAgMBAAGjggOAMIIDfDAfBgNVHSMEGDAWgBQ901Cl1qCt
7vNKYApl0yHU+PjWDzAdBgNVHQ4EFgQUt5yLggZOjjfzULzZCgX2KZO3R/gwNgYD
VR0RBC8wLYIrbWVzc2FnZXZlcmlmaWNhdGlvbmNlcnRzLnNhbmRib3gucGF5cGFs
LmNvbTAOBgNVHQ8BAf8EBAMCBaAwHQYDVR0lBBYwFAYIKwYBBQUHAwEGCCsGAQUF
BwMCMHUGA1UdHwRuMGwwNKAyoDCGLmh0dHA6Ly9jcmwzLmRpZ2ljZXJ0LmNvbS9z
aGEyLWV2LXNlcnZlci1nMS5jcmwwNKAyoDCGLmh0dHA6Ly9jcmw0LmRpZ2ljZXJ0
LmNvbS9zaGEyLWV2LXNlcnZlci1nMS5jcmwwQgYDVR0gBDswOTA3BglghkgBhv1s
AgEwKjAoBggrBgEFBQcCARYcaHR0cHM6Ly93d3cuZGlnaWNlcnQuY29tL0NQUzCB
iAYIKwYBBQUHAQEEfDB6MCQGCCsGAQUFBzABhhhodHRwOi8vb2NzcC5kaWdpY2Vy
dC5jb20wUgYIKwYBBQUHMAKGRmh0dHA6Ly9jYWNlcnRzLmRpZ2ljZXJ0LmNvbS9E
aWdpQ2VydFNIQTJFeHRlbmRlZFZhbGlkYXRpb25TZXJ2ZXJDQS5jcnQwDAYDVR0T
AQH/BAIwADCCAX0GCisGAQQB1nkCBAIEggFtBIIBaQFnAHUApLkJkLQYWBSHuxOi
zGdwCjw1mAT5G9+443fNDsgN3BAAAAFMLovtNgAABAMARjBEAiBTR7r3p76qUJzF
23lsbD/cLsA0KlxoJRSIvIK0OIYWiQIgVQWja8tWBlpcoFP30Iym7IuczitSazpH
fhKAVroTgXgAdgBo9pj4H2SCvjqM7rkoHUz8cVFdZ5PURNEKZ6y7T0/7xAAAAUwu
i+z4AAAEAwBHMEUCIEP3VYyLQB7lOgFo4WstyOurmRe3xa0OVaeFL/bDohHOAiEA
+xQrRVAfaeT4qBdBJzLyVLU4V9bh/qBMXJdjvYujhAcAdgBWFAaaL9fC7NP14b1E
sj7HRna5vJkRXMDvlJhV1onQ3QAAAUwui+6EAAAEAwBHMEUCIQC/YUc5X6xyb3ho
o4VMSJqSoNg9KKkvLh9nUQCdwHi3/QIgNwcBc9ZZCR/aWXQ7hKH6d39kpkDX2Z43
XPy/Kl5sKI4wDQYJKoZIhvcNAQELBQADggEBAHixEZNpb0M1MsvsfNI6lLKxrs9s
JkcBcmxrFyhTC8KP+Qp+Z1fnMRQwpTLIMr1+uAMqCPAnIShGHeFNJpUFSMyW4o0l
+pZGz/L/YJBs7XP3ChSGC17ZKeGSQFfMqMQXfY/L6+n/1HkAwqmewqUMEuUmWN3F
kXJqVngIYGZtxXRyiv2azLOhrNP8BgNZK6d2gVxntQfGr4hnd8Juq8SJy/S4xpPY
YPD8vW7/wSOdAe1/kU38QwDVBQ5PJePS2WFwz8YA/eKcyg9lfsianfw35SjehJbn
wGwzUbjtibyJnv3eAeYDGxaI6vbuoE99pSmYGIwSBLJwZamJHjci6HL6wLg=
-----END CERTIFICATE-----`, "\n", "\r\n")

// ppNode is PayPal-node-SDK's vector (965a132d test/notification.js,
// "verify webhook event success"; the same values are in
// paypal/PayPal-Python-SDK 0d704e7d
// samples/notification/webhook-events/verify_webhook_events.py).
var ppNode = ppVector{
	id: "dfb3be50-fd74-11e4-8bf3-77339302725b", stamp: "2015-05-18T15:45:13Z", webhookID: "4JH86294D6297924G",
	sig:  "thy4/U002quzxFavHPwbfJGcc46E8rc5jzgyeafWm5mICTBdY/8rl7WJpn8JA0GKA+oDTPsSruqusw+XXg5RLAP7ip53Euh9Xu3UbUhQFX7UgwzE2FeYoY6lyRMiiiQLzy9BvHfIzNIVhPad4KnC339dr6y2l+mN8ALgI4GCdIh3/SoJO5wE64Bh/ueWtt8EVuvsvXfda2Le5a2TrOI9vLEzsm9GS79hAR/5oLexNz8UiZr045Mr5ObroH4w4oNfmkTaDk9Rj0G19uvISs5QzgmBpauKr7Nw++JI0pr/v5mFctQkoWJSGfBGzPRXawrvIIVHQ9Wer48GR2g9ZiApWg==",
	body: `{"id":"WH-0G2756385H040842W-5Y612302CV158622M","create_time":"2015-05-18T15:45:13Z","resource_type":"sale","event_type":"PAYMENT.SALE.COMPLETED","summary":"Payment completed for $ 20.0 USD","resource":{"id":"4EU7004268015634R","create_time":"2015-05-18T15:44:02Z","update_time":"2015-05-18T15:44:21Z","amount":{"total":"20.00","currency":"USD"},"payment_mode":"INSTANT_TRANSFER","state":"completed","protection_eligibility":"ELIGIBLE","protection_eligibility_type":"ITEM_NOT_RECEIVED_ELIGIBLE,UNAUTHORIZED_PAYMENT_ELIGIBLE","parent_payment":"PAY-86C81811X5228590KKVNARQQ","transaction_fee":{"value":"0.88","currency":"USD"},"links":[{"href":"https://api.sandbox.paypal.com/v1/payments/sale/4EU7004268015634R","rel":"self","method":"GET"},{"href":"https://api.sandbox.paypal.com/v1/payments/sale/4EU7004268015634R/refund","rel":"refund","method":"POST"},{"href":"https://api.sandbox.paypal.com/v1/payments/payment/PAY-86C81811X5228590KKVNARQQ","rel":"parent_payment","method":"GET"}]},"links":[{"href":"https://api.sandbox.paypal.com/v1/notifications/webhooks-events/WH-0G2756385H040842W-5Y612302CV158622M","rel":"self","method":"GET"},{"href":"https://api.sandbox.paypal.com/v1/notifications/webhooks-events/WH-0G2756385H040842W-5Y612302CV158622M/resend","rel":"resend","method":"POST"}]}`,
}

// ppJava is PayPal-Java-SDK's vector (paypal/PayPal-Java-SDK 2a342122
// rest-api-sample/src/main/java/com/paypal/api/sample/ValidateCert.java;
// also rest-api-sdk/src/test/java/com/paypal/base/ValidateCertTest.java
// until f3bb06c6), signed by the same certificate.
var ppJava = ppVector{
	id: "b2384410-f8d2-11e4-8bf3-77339302725b", stamp: "2015-05-12T18:14:14Z", webhookID: "3RN13029J36659323",
	sig:  "vSOIQFIZQHv8G2vpbOpD/4fSC4/MYhdHyv+AmgJyeJQq6q5avWyHIe/zL6qO5hle192HSqKbYveLoFXGJun2od2zXN3Q45VBXwdX3woXYGaNq532flAtiYin+tQ/0pNwRDsVIufCxa3a8HskaXy+YEfXNnwCSL287esD3HgOHmuAs0mYKQdbR4e8Evk8XOOQaZzGeV7GNXXz19gzzvyHbsbHmDz5VoRl9so5OoHqvnc5RtgjZfG8KA9lXh2MTPSbtdTLQb9ikKYnOGM+FasFMxk5stJisgmxaefpO9Q1qm3rCjaJ29aAOyDNr3Q7WkeN3w4bSXtFMwyRBOF28pJg9g==",
	body: `{"id":"WH-2W7266712B616591M-36507203HX6402335","create_time":"2015-05-12T18:14:14Z","resource_type":"sale","event_type":"PAYMENT.SALE.COMPLETED","summary":"Payment completed for $ 20.0 USD","resource":{"id":"7DW85331GX749735N","create_time":"2015-05-12T18:13:18Z","update_time":"2015-05-12T18:13:36Z","amount":{"total":"20.00","currency":"USD"},"payment_mode":"INSTANT_TRANSFER","state":"completed","protection_eligibility":"ELIGIBLE","protection_eligibility_type":"ITEM_NOT_RECEIVED_ELIGIBLE,UNAUTHORIZED_PAYMENT_ELIGIBLE","parent_payment":"PAY-1A142943SV880364LKVJEFPQ","transaction_fee":{"value":"0.88","currency":"USD"},"links":[{"href":"https://api.sandbox.paypal.com/v1/payments/sale/7DW85331GX749735N","rel":"self","method":"GET"},{"href":"https://api.sandbox.paypal.com/v1/payments/sale/7DW85331GX749735N/refund","rel":"refund","method":"POST"},{"href":"https://api.sandbox.paypal.com/v1/payments/payment/PAY-1A142943SV880364LKVJEFPQ","rel":"parent_payment","method":"GET"}]},"links":[{"href":"https://api.sandbox.paypal.com/v1/notifications/webhooks-events/WH-2W7266712B616591M-36507203HX6402335","rel":"self","method":"GET"},{"href":"https://api.sandbox.paypal.com/v1/notifications/webhooks-events/WH-2W7266712B616591M-36507203HX6402335/resend","rel":"resend","method":"POST"}]}`,
}

// ppLiveCert is the document PayPal served at ppLiveCertURL in 2024
// (CRLF line ends, no final newline): messageverificationcerts.paypal.com,
// valid from 2024-03-08T00:00:00Z to 2025-03-07T23:59:59Z. With the two
// deliveries below it was recorded from PayPal's webhook simulator by
// Traktormaster/paypal2 (27721dda paypal2_tests/const.py, HOOK_CERTS,
// HOOK_PAYMENT_CAPTURE_COMPLETED_V2, HOOK_PAYMENT_CAPTURE_REFUNDED_V2):
// the simulator signs with the webhook id "WEBHOOK_ID".
const ppLiveCertURL = "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1a5f47cb"

var ppLiveCert = strings.ReplaceAll(`-----BEGIN CERTIFICATE-----
MIIHXDCCBkSgAwIBAgIQA/ujbySX3tuj46W/d7zhxDANBgkqhkiG9w0BAQsFADB1
MQswCQYDVQQGEwJVUzEVMBMGA1UEChMMRGlnaUNlcnQgSW5jMRkwFwYDVQQLExB3
d3cuZGlnaWNlcnQuY29tMTQwMgYDVQQDEytEaWdpQ2VydCBTSEEyIEV4dGVuZGVk
IFZhbGlkYXRpb24gU2VydmVyIENBMB4XDTI0MDMwODAwMDAwMFoXDTI1MDMwNzIz
NTk1OVowgdsxEzARBgsrBgEEAYI3PAIBAxMCVVMxGTAXBgsrBgEEAYI3PAIBAhMI
RGVsYXdhcmUxHTAbBgNVBA8MFFByaXZhdGUgT3JnYW5pemF0aW9uMRAwDgYDVQQF
EwczMDE0MjY3MQswCQYDVQQGEwJVUzETMBEGA1UECBMKQ2FsaWZvcm5pYTERMA8G
A1UEBxMIU2FuIEpvc2UxFTATBgNVBAoTDFBheVBhbCwgSW5jLjEsMCoGA1UEAxMj
bWVzc2FnZXZlcmlmaWNhdGlvbmNlcnRzLnBheXBhbC5jb20wggEiMA0GCSqGSIb3
DQEBAQUAA4IBDwAwggEKAoIBAQC4GzoXbAbZY1nNrR6sr/WGBKHrv5MzXK+QY2lt
N0eZFSMR3Q/FhTSVKyFGEtqpdkVu2RwnJnpz0dtDAnssBZTDE/3dafGT41cPPtjQ
Tx/VLhC0noV+SCcwYk2Bv7vm2RqeJUUVqThouNmZPaRZNpMPQDAqdHUoIxSk/kQl
hPVHhTCpjY9wwUbwn49E/+f44W87kkeXsrbTet6bSeqgW1oy7sj2QR0vg2xi1yYy
dNqhMhsceh3pV7qRfvlP7Rv3yorsCWZXAbxSB7MKzcSsnM2n4iE20pTWWiUaKLPI
L4vTqfl0cqRygKx0Pcy4aknxIRwbI8Ab493j5c2Rmtxv4ZJhAgMBAAGjggN/MIID
ezAfBgNVHSMEGDAWgBQ901Cl1qCt7vNKYApl0yHU+PjWDzAdBgNVHQ4EFgQUGTJR
HgzRoA4BYXr5GPWiwCf5gd8wLgYDVR0RBCcwJYIjbWVzc2FnZXZlcmlmaWNhdGlv
bmNlcnRzLnBheXBhbC5jb20wSgYDVR0gBEMwQTALBglghkgBhv1sAgEwMgYFZ4EM
AQEwKTAnBggrBgEFBQcCARYbaHR0cDovL3d3dy5kaWdpY2VydC5jb20vQ1BTMA4G
A1UdDwEB/wQEAwIFoDAdBgNVHSUEFjAUBggrBgEFBQcDAQYIKwYBBQUHAwIwdQYD
VR0fBG4wbDA0oDKgMIYuaHR0cDovL2NybDMuZGlnaWNlcnQuY29tL3NoYTItZXYt
c2VydmVyLWczLmNybDA0oDKgMIYuaHR0cDovL2NybDQuZGlnaWNlcnQuY29tL3No
YTItZXYtc2VydmVyLWczLmNybDCBiAYIKwYBBQUHAQEEfDB6MCQGCCsGAQUFBzAB
hhhodHRwOi8vb2NzcC5kaWdpY2VydC5jb20wUgYIKwYBBQUHMAKGRmh0dHA6Ly9j
YWNlcnRzLmRpZ2ljZXJ0LmNvbS9EaWdpQ2VydFNIQTJFeHRlbmRlZFZhbGlkYXRp
b25TZXJ2ZXJDQS5jcnQwDAYDVR0TAQH/BAIwADCCAXwGCisGAQQB1nkCBAIEggFs
BIIBaAFmAHUATnWjJ1yaEMM4W2zU3z9S6x3w4I4bjWnAsfpksWKaOd8AAAGOHuxW
NwAABAMARjBEAiA794gDwBlLuPrnv5Fj4ablrQ0rdN79WXYKElFRlZfFwQIgbSkU
2m9OuKVbhYkYye2p7uEZaY+7CIau2CgGn021hb4AdgB9WR4S4XgqexxhZ3xe/fjQ
h1wUoE6VnrkDL9kOjC55uAAAAY4e7FX0AAAEAwBHMEUCIH/TXkK2Wg7UAa1E0G0A
BP2PZubHPXyzhtWUQWo0S7SyAiEAuKaUmmoOH7eS+cZXu18EwdU0b0/Fr4vTIeAW
dBwuOOQAdQDm0jFjQHeMwRBBBtdxuc7B0kD2loSG+7qHMh39HjeOUAAAAY4e7FYQ
AAAEAwBGMEQCIFsrE/dHNM1QbIclR/50AiCNtoKjcGJFoblgaVnWW/6uAiBA5EE+
vX1dxUdluf6cktPuo0IxYZSd6WCG4zqBMR292TANBgkqhkiG9w0BAQsFAAOCAQEA
vKdi82U0vGaCCAYN598wEN6Ktu+BeZp3W3p1iVRBZgY9l0JPjwWN8Apwm4BUUTp3
00gpIfROKvyR1655B0QDv/oL1Wuz/zQ87kUGVZNNeac07+X2e6YP5sqrwF4ttWai
ajFRa8M2Y6vEk+7EmSexynxJBRa86Aa4xogqlTv/7kXf7LrDzMTlfle7o2L7eqwd
CIc7vCYw9XQ5K80d4Siy6xz+RSu7+Un8QlfAYB7z1o32uPEUihk05ulMiXJYvA0W
OagItBsuMSzgwQ0KDC9EmDYmXE9xWtUolehmBGRyQw+/E7iVu4x4js1HRiD0M+s9
bRQ14PLxRLqDKu8oqZ8DQA==
-----END CERTIFICATE-----`, "\n", "\r\n")

// ppLiveCapture is the simulator's PAYMENT.CAPTURE.COMPLETED of 2024-08-02.
var ppLiveCapture = ppVector{
	id: "1c6772d0-5106-11ef-9b66-89f3f924d48a", stamp: "2024-08-02T19:33:35Z", webhookID: "WEBHOOK_ID",
	sig:  "KY8qkrrIcGAyKS4VNgYlgP0iWIgeFEa3Y4q14d7mStEdJQbiEMhyB9/2cR85tjTlAmJ4NFxBW3BFdrFn7EukmdSw2RFkaCfSmzZoq8Uzjp1y6h9Uo307qte0hkuDHLLW07EvflOfS0Q2mNd+WPsmCilVYRAw9Acv6O8qVHAdVjINRoSeS5vISIDN7vaj0rBValwU8GE36rfFpUz1BvJqY2JaZc7wL0UYYB+xLneQWdOy4woa8MWUGVqFkJ9h/RLZsAIoMlOikAljETFIdGKiNr23GILoa1yM8/y+Oi1KM2DOJlEeywiR0BU5bhPjIsy8gsdwTyadbF1BCkFJcyGIlg==",
	body: `{"id":"WH-58D329510W468432D-8HN650336L201105X","event_version":"1.0","create_time":"2019-02-14T21:50:07.940Z","resource_type":"capture","resource_version":"2.0","event_type":"PAYMENT.CAPTURE.COMPLETED","summary":"Payment completed for $ 30.0 USD","resource":{"id":"12A34567BC123456S","amount":{"currency_code":"USD","value":"30.00"},"final_capture":true,"seller_protection":{"status":"ELIGIBLE","dispute_categories":["ITEM_NOT_RECEIVED","UNAUTHORIZED_TRANSACTION"]},"disbursement_mode":"INSTANT","seller_receivable_breakdown":{"gross_amount":{"currency_code":"USD","value":"30.00"},"paypal_fee":{"currency_code":"USD","value":"1.54"},"platform_fees":[{"amount":{"currency_code":"USD","value":"2.00"},"payee":{"merchant_id":"ABCDEFGHIJKL1"}}],"net_amount":{"currency_code":"USD","value":"26.46"}},"invoice_id":"5840243-146","status":"COMPLETED","supplementary_data":{"related_ids":{"order_id":"1AB234567A1234567"}},"create_time":"2022-08-23T18:29:50Z","update_time":"2022-08-23T18:29:50Z","links":[{"href":"https://api.paypal.com/v2/payments/captures/12A34567BC123456S","rel":"self","method":"GET"},{"href":"https://api.paypal.com/v2/payments/captures/12A34567BC123456S/refund","rel":"refund","method":"POST"},{"href":"https://api.paypal.com/v2/checkout/orders/1AB234567A1234567","rel":"up","method":"GET"}]},"links":[{"href":"https://api.paypal.com/v1/notifications/webhooks-events/WH-58D329510W468432D-8HN650336L201105X","rel":"self","method":"GET"},{"href":"https://api.paypal.com/v1/notifications/webhooks-events/WH-58D329510W468432D-8HN650336L201105X/resend","rel":"resend","method":"POST"}]}`,
}

// ppLiveRefund is its PAYMENT.CAPTURE.REFUNDED.
var ppLiveRefund = ppVector{
	id: "51730200-5106-11ef-9a30-157053fd3e43", stamp: "2024-08-02T19:35:04Z", webhookID: "WEBHOOK_ID",
	sig:  "ff31fhZxoix1VbYc2wPp991eiUBdhALb71NFSq8VOMkbaBdx3Gm4lFZmQDL/lUXl4rImLjUdDvBMp4DOCN7T5WmyY7G88yzMJJCngENSA7+r1NXweP+TLy5/jyGoNU2j3VEUSr9gwNF1tKrCpixnJbzwTA7tI8s4c53xfdtPuYKd4KNjH7jRQXt/YH+sR9hwNZTPWpIUm1LrdGFxCH1iHoM5/mO1E7EngRuTf8zYAFIJE/vBcY2dLoD2gTJPfLbo5D+KSSMqgrD+xuCPJtZnQjP9QbA0rUAenRYAbRxPh2u3dLTiAaRMP7mZBI4d9ecPkdk0HgtUAPVhJTTBmx+Lag==",
	body: `{"id":"WH-1GE84257G0350133W-6RW800890C634293G","event_version":"1.0","create_time":"2018-08-15T19:14:04.543Z","resource_type":"refund","resource_version":"2.0","event_type":"PAYMENT.CAPTURE.REFUNDED","summary":"A $ 0.99 USD capture payment was refunded","resource":{"id":"1Y107995YT783435V","amount":{"currency_code":"USD","value":"0.99"},"seller_payable_breakdown":{"gross_amount":{"currency_code":"USD","value":"0.99"},"paypal_fee":{"currency_code":"USD","value":"0.02"},"net_amount":{"currency_code":"USD","value":"0.97"},"total_refunded_amount":{"currency_code":"USD","value":"1.98"}},"status":"COMPLETED","create_time":"2018-08-15T12:13:29-07:00","update_time":"2018-08-15T12:13:29-07:00","links":[{"href":"https://api.paypal.com/v2/payments/refunds/1Y107995YT783435V","rel":"self","method":"GET"},{"href":"https://api.paypal.com/v2/payments/captures/0JF852973C016714D","rel":"up","method":"GET"}]},"links":[{"href":"https://api.paypal.com/v1/notifications/webhooks-events/WH-1GE84257G0350133W-6RW800890C634293G","rel":"self","method":"GET"},{"href":"https://api.paypal.com/v1/notifications/webhooks-events/WH-1GE84257G0350133W-6RW800890C634293G/resend","rel":"resend","method":"POST"}]}`,
}

// ppVector is one signed PayPal delivery.
type ppVector struct {
	id, stamp, webhookID, sig, body string
}

// at is the transmission time.
func (v ppVector) at() time.Time {
	t, err := time.Parse(time.RFC3339, v.stamp)
	if err != nil {
		panic(err)
	}
	return t
}

// header is the delivery's headers as PayPal sends them, citing certURL.
func (v ppVector) header(certURL string) http.Header {
	return header(
		"PAYPAL-TRANSMISSION-ID", v.id, "PAYPAL-TRANSMISSION-TIME", v.stamp, "PAYPAL-TRANSMISSION-SIG", v.sig,
		"PAYPAL-CERT-URL", certURL, "PAYPAL-AUTH-ALGO", "SHA256withRSA", "PAYPAL-AUTH-VERSION", "v2",
		"Content-Type", "application/json",
	)
}

// ppSign signs a delivery as PayPal does, independently of the provider:
// RSA PKCS #1 v1.5 with SHA-256 over
// "<id>|<time>|<webhook id>|<CRC-32 of the body, unsigned decimal>".
func ppSign(key *rsa.PrivateKey, id, stamp, webhookID string, body []byte) string {
	signed := id + "|" + stamp + "|" + webhookID + "|" + strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// keyServer is a KeyFetcher serving documents from a map, as the real
// fetcher would: it refuses a URL off r.Hosts, calls Parse once per
// fetched document and hands out the parsed value until a Refresh (a
// document Parse refuses leaves what was cached), and records every
// request. A URL it has no document for, or any fetch while down, is
// ErrKeyUnavailable.
type keyServer struct {
	mu       sync.Mutex
	docs     map[string]string
	cache    map[string]any
	down     bool
	requests []provider.KeyRequest
	fetches  int // cache misses and refreshes
	parses   int
}

func newKeyServer(docs map[string]string) *keyServer {
	return &keyServer{docs: docs, cache: map[string]any{}}
}

func (s *keyServer) Fetch(r provider.KeyRequest) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	if !provider.AllowedKeyURL(r.URL, r.Hosts) {
		return nil, fmt.Errorf("key server: URL off the hosts: %w", provider.ErrKeyUnavailable)
	}
	if v, ok := s.cache[r.URL]; ok && !r.Refresh {
		return v, nil
	}
	s.fetches++
	doc, ok := s.docs[r.URL]
	if s.down || !ok {
		return nil, fmt.Errorf("key server: GET failed: %w", provider.ErrKeyUnavailable)
	}
	s.parses++
	v, err := r.Parse([]byte(doc))
	if err != nil {
		return nil, err
	}
	s.cache[r.URL] = v
	return v, nil
}

// set serves doc at url from now on (the cache keeps what it has).
func (s *keyServer) set(url, doc string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs[url] = doc
}

// take is the requests so far, which it forgets.
func (s *keyServer) take() []provider.KeyRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	reqs := s.requests
	s.requests = nil
	return reqs
}

// calls is the URLs looked up so far, in order.
func (s *keyServer) calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	urls := make([]string, len(s.requests))
	for i, r := range s.requests {
		urls[i] = r.URL
	}
	return urls
}

// counts is how many lookups were made and how many of them fetched.
func (s *keyServer) counts() (requests, fetches int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests), s.fetches
}

// log is the requests so far, and how many documents were parsed.
func (s *keyServer) log() ([]provider.KeyRequest, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]provider.KeyRequest(nil), s.requests...), s.parses
}

// noFetcher fails the test at any key lookup.
type noFetcher struct{ t testing.TB }

func (f noFetcher) Fetch(r provider.KeyRequest) (any, error) {
	f.t.Errorf("a key lookup was made for %s", r.URL)
	return nil, provider.ErrKeyUnavailable
}

// ppVectorSource is a provider for vector v, its certificate served at
// ppSandboxCertURL, with the clock a minute after the transmission.
func ppVectorSource(t testing.TB, v ppVector, keys provider.KeyFetcher) *provider.Provider {
	return mustNew(t, provider.Config{Kind: "paypal", WebhookID: v.webhookID, Keys: keys, Now: func() time.Time { return v.at().Add(time.Minute) }})
}

// TestPayPalVectors: PayPal's own deliveries verify under the certificate
// PayPal served for them, and the key is looked up once, as asked.
func TestPayPalVectors(t *testing.T) {
	for _, c := range []struct {
		name      string
		v         ppVector
		url, cert string
	}{
		{"node, sandbox 2015", ppNode, ppSandboxCertURL, ppSandboxCert},
		{"java, sandbox 2015", ppJava, ppSandboxCertURL, ppSandboxCert},
		{"simulator capture, live 2024", ppLiveCapture, ppLiveCertURL, ppLiveCert},
		{"simulator refund, live 2024", ppLiveRefund, ppLiveCertURL, ppLiveCert},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := c.v
			srv := newKeyServer(map[string]string{c.url: c.cert})
			p := ppVectorSource(t, v, srv)
			for range 3 {
				checkSentinel(t, p.Verify([]byte(v.body), v.header(c.url)), nil)
			}
			reqs, parses := srv.log()
			if parses != 1 || len(reqs) != 3 {
				t.Fatalf("%d lookups and %d parses for 3 deliveries, want 3 lookups answered from one parse", len(reqs), parses)
			}
			// The other certificate does not verify it.
			other := newKeyServer(map[string]string{c.url: map[string]string{ppSandboxCert: ppLiveCert, ppLiveCert: ppSandboxCert}[c.cert]})
			checkSentinel(t, ppVectorSource(t, v, other).Verify([]byte(v.body), v.header(c.url)), provider.ErrBadSignature)
			want := provider.DefaultKeyHosts("paypal")
			if r := reqs[0]; r.Kind != "paypal" || r.URL != c.url || r.Refresh || strings.Join(r.Hosts, ",") != strings.Join(want, ",") {
				t.Fatalf("key request %+v, want kind paypal, the cert URL, no refresh, hosts %v", r, want)
			}
		})
	}
}

// TestPayPalMutations changes each signed input and each header of the
// node vector, one at a time.
func TestPayPalMutations(t *testing.T) {
	v := ppNode
	p := ppVectorSource(t, v, newKeyServer(map[string]string{ppSandboxCertURL: ppSandboxCert}))
	set := func(name, value string) func(d *delivery) { return func(d *delivery) { d.h.Set(name, value) } }
	del := func(name string) func(d *delivery) { return func(d *delivery) { d.h.Del(name) } }
	body := func(b string) func(d *delivery) { return func(d *delivery) { d.body = []byte(b) } }
	sig, _ := base64.StdEncoding.DecodeString(v.sig)
	sigWith := func(edit func([]byte) []byte) string {
		return base64.StdEncoding.EncodeToString(edit(append([]byte(nil), sig...)))
	}
	runMutations(t, p, delivery{body: []byte(v.body), h: v.header(ppSandboxCertURL)}, nil, []mutation{
		{name: "public vector"},
		{name: "algorithm in lower case", edit: set("PAYPAL-AUTH-ALGO", "sha256withrsa")},
		{name: "no auth version", edit: del("PAYPAL-AUTH-VERSION")},
		// The body, signed through its CRC-32.
		{name: "body first byte", edit: func(d *delivery) { d.body = flipByte(d.body, 0) }, want: provider.ErrBadSignature},
		{name: "body middle byte", edit: func(d *delivery) { d.body = flipByte(d.body, len(d.body)/2) }, want: provider.ErrBadSignature},
		{name: "body last byte", edit: func(d *delivery) { d.body = flipByte(d.body, len(d.body)-1) }, want: provider.ErrBadSignature},
		{name: "body with a newline", edit: body(v.body + "\n"), want: provider.ErrBadSignature},
		{name: "body empty", edit: body(""), want: provider.ErrBadSignature},
		// The transmission id.
		{name: "id changed", edit: set("PAYPAL-TRANSMISSION-ID", strings.Replace(v.id, "dfb3", "dfb4", 1)), want: provider.ErrBadSignature},
		{name: "id upper case", edit: set("PAYPAL-TRANSMISSION-ID", strings.ToUpper(v.id)), want: provider.ErrBadSignature},
		{name: "id with |", edit: set("PAYPAL-TRANSMISSION-ID", v.id+"|x"), want: provider.ErrMalformedSignature},
		{name: "id missing", edit: del("PAYPAL-TRANSMISSION-ID"), want: provider.ErrMissingSignature},
		{name: "id empty", edit: set("PAYPAL-TRANSMISSION-ID", ""), want: provider.ErrMissingSignature},
		// The transmission time, signed as written.
		{name: "time a second later", edit: set("PAYPAL-TRANSMISSION-TIME", "2015-05-18T15:45:14Z"), want: provider.ErrBadSignature},
		{name: "time written with a fraction", edit: set("PAYPAL-TRANSMISSION-TIME", "2015-05-18T15:45:13.000Z"), want: provider.ErrBadSignature},
		{name: "time written with an offset", edit: set("PAYPAL-TRANSMISSION-TIME", "2015-05-18T17:45:13+02:00"), want: provider.ErrBadSignature},
		{name: "time not RFC 3339", edit: set("PAYPAL-TRANSMISSION-TIME", "Mon, 18 May 2015 15:45:13 GMT"), want: provider.ErrMalformedSignature},
		{name: "time as Unix seconds", edit: set("PAYPAL-TRANSMISSION-TIME", "1431963913"), want: provider.ErrMalformedSignature},
		{name: "time missing", edit: del("PAYPAL-TRANSMISSION-TIME"), want: provider.ErrMissingSignature},
		// The signature.
		{name: "signature first byte", edit: set("PAYPAL-TRANSMISSION-SIG", sigWith(func(b []byte) []byte { b[0] ^= 1; return b })), want: provider.ErrBadSignature},
		{name: "signature last byte", edit: set("PAYPAL-TRANSMISSION-SIG", sigWith(func(b []byte) []byte { b[len(b)-1] ^= 1; return b })), want: provider.ErrBadSignature},
		{name: "signature a byte short", edit: set("PAYPAL-TRANSMISSION-SIG", sigWith(func(b []byte) []byte { return b[:len(b)-1] })), want: provider.ErrBadSignature},
		{name: "signature a byte long", edit: set("PAYPAL-TRANSMISSION-SIG", sigWith(func(b []byte) []byte { return append(b, 0) })), want: provider.ErrBadSignature},
		{name: "signature of the other vector", edit: set("PAYPAL-TRANSMISSION-SIG", ppJava.sig), want: provider.ErrBadSignature},
		{name: "signature unpadded", edit: set("PAYPAL-TRANSMISSION-SIG", strings.TrimRight(v.sig, "=")), want: provider.ErrMalformedSignature},
		{name: "signature URL-safe", edit: set("PAYPAL-TRANSMISSION-SIG", base64.URLEncoding.EncodeToString(sig)), want: provider.ErrMalformedSignature},
		{name: "signature with a line break", edit: set("PAYPAL-TRANSMISSION-SIG", v.sig[:76]+"\n"+v.sig[76:]), want: provider.ErrMalformedSignature},
		{name: "signature in hex, which is base64 text too", edit: set("PAYPAL-TRANSMISSION-SIG", fmt.Sprintf("%x", sig)), want: provider.ErrBadSignature},
		{name: "signature with a character outside base64", edit: set("PAYPAL-TRANSMISSION-SIG", "!"+v.sig[1:]), want: provider.ErrMalformedSignature},
		{name: "signature too long", edit: set("PAYPAL-TRANSMISSION-SIG", base64.StdEncoding.EncodeToString(make([]byte, 1025))), want: provider.ErrMalformedSignature},
		{name: "signature missing", edit: del("PAYPAL-TRANSMISSION-SIG"), want: provider.ErrMissingSignature},
		// The algorithm.
		{name: "algorithm SHA1withRSA", edit: set("PAYPAL-AUTH-ALGO", "SHA1withRSA"), want: provider.ErrMalformedSignature},
		{name: "algorithm SHA512withRSA", edit: set("PAYPAL-AUTH-ALGO", "SHA512withRSA"), want: provider.ErrMalformedSignature},
		{name: "algorithm with a space", edit: set("PAYPAL-AUTH-ALGO", "SHA256withRSA "), want: provider.ErrMalformedSignature},
		{name: "algorithm missing", edit: del("PAYPAL-AUTH-ALGO"), want: provider.ErrMissingSignature},
		// The certificate URL.
		{name: "cert URL of another certificate", edit: set("PAYPAL-CERT-URL", ppSandboxCertURL+"0"), want: provider.ErrKeyUnavailable},
		{name: "cert URL on the live host", edit: set("PAYPAL-CERT-URL", strings.Replace(ppSandboxCertURL, "api.sandbox.", "api.", 1)), want: provider.ErrKeyUnavailable},
		{name: "cert URL missing", edit: del("PAYPAL-CERT-URL"), want: provider.ErrMissingSignature},
		{name: "cert URL over http", edit: set("PAYPAL-CERT-URL", strings.Replace(ppSandboxCertURL, "https:", "http:", 1)), want: provider.ErrBadSignature},
		{name: "cert URL elsewhere", edit: set("PAYPAL-CERT-URL", "https://certs.example.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"), want: provider.ErrBadSignature},
		// Every header at once.
		{name: "no headers", edit: func(d *delivery) { d.h = http.Header{} }, want: provider.ErrMissingSignature},
	})
}

// TestPayPalWebhookID: the webhook id is signed; a source configured
// with another one refuses the delivery.
func TestPayPalWebhookID(t *testing.T) {
	v := ppNode
	for _, c := range []struct {
		id   string
		want error
	}{
		{v.webhookID, nil},
		{ppJava.webhookID, provider.ErrBadSignature},
		{strings.ToLower(v.webhookID), provider.ErrBadSignature},
		{v.webhookID + "0", provider.ErrBadSignature},
	} {
		v.webhookID = c.id
		checkSentinel(t, ppVectorSource(t, v, newKeyServer(map[string]string{ppSandboxCertURL: ppSandboxCert})).Verify([]byte(ppNode.body), ppNode.header(ppSandboxCertURL)), c.want)
	}
}

// TestPayPalClock: the transmission time is held to the tolerance after
// the signature, and the certificate to its validity at the clock.
func TestPayPalClock(t *testing.T) {
	v := ppNode
	sent := v.at()
	years := 3 * 365 * 24 * time.Hour
	for _, c := range []struct {
		name      string
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"at the transmission", sent, 0, nil},
		{"the default tolerance later", sent.Add(provider.DefaultTolerance), 0, nil},
		{"a second more", sent.Add(provider.DefaultTolerance + time.Second), 0, provider.ErrStale},
		{"the default tolerance earlier", sent.Add(-provider.DefaultTolerance), 0, nil},
		{"a second before that", sent.Add(-provider.DefaultTolerance - time.Second), 0, provider.ErrStale},
		{"a day later, tolerance 1d", sent.Add(24 * time.Hour), 24 * time.Hour, nil},
		{"the last second of the certificate", time.Date(2017, 3, 22, 12, 0, 0, 0, time.UTC), years, nil},
		{"the certificate expired", time.Date(2017, 3, 22, 12, 0, 1, 0, time.UTC), years, provider.ErrBadSignature},
		{"the certificate expired, time stale too", time.Date(2017, 3, 22, 12, 0, 1, 0, time.UTC), 0, provider.ErrBadSignature},
		{"the certificate not valid yet", time.Date(2015, 3, 17, 23, 59, 59, 0, time.UTC), years, provider.ErrBadSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := newKeyServer(map[string]string{ppSandboxCertURL: ppSandboxCert})
			p := mustNew(t, provider.Config{Kind: "paypal", WebhookID: v.webhookID, Keys: srv, Tolerance: c.tolerance, Now: func() time.Time { return c.now }})
			err := p.Verify([]byte(v.body), v.header(ppSandboxCertURL))
			checkSentinel(t, err, c.want)
			reqs, _ := srv.log()
			if refreshed := len(reqs) == 2 && reqs[1].Refresh; refreshed != errors.Is(err, provider.ErrBadSignature) {
				t.Fatalf("requests %+v: an expired certificate is fetched once more, and only then", reqs)
			}
		})
	}
}

// ppTestNow is the clock of the tests with generated certificates.
var ppTestNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// ppCertSpec describes a self-signed test certificate.
type ppCertSpec struct {
	key                 crypto.Signer
	cn                  string
	dns                 []string
	notBefore, notAfter time.Time
}

// ppCertPEM is the PEM of the certificate s describes; a zero validity
// is a year either side of ppTestNow, an empty name PayPal's.
func ppCertPEM(t testing.TB, s ppCertSpec) string {
	t.Helper()
	if s.notBefore.IsZero() {
		s.notBefore, s.notAfter = ppTestNow.AddDate(-1, 0, 0), ppTestNow.AddDate(1, 0, 0)
	}
	if s.cn == "" && s.dns == nil {
		s.cn = "messageverificationcerts.paypal.com"
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: s.cn, Organization: []string{"PayPal, Inc."}},
		DNSNames: s.dns, NotBefore: s.notBefore, NotAfter: s.notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, s.key.Public(), s.key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// ppTestURL is a certificate URL on the live host.
func ppTestURL(id string) string { return "https://api.paypal.com/v1/notifications/certs/" + id }

// ppDelivery is a delivery signed with key for webhook id WH1, citing
// certURL, transmitted at ppTestNow.
func ppDelivery(key *rsa.PrivateKey, certURL string) delivery {
	v := ppVector{id: "69cd13f0-d67a-11e5-baa3-778b53f4ae55", stamp: ppTestNow.Format(time.RFC3339), webhookID: "WH1", body: `{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED"}`}
	v.sig = ppSign(key, v.id, v.stamp, v.webhookID, []byte(v.body))
	return delivery{body: []byte(v.body), h: v.header(certURL)}
}

// ppTestSource is a source for webhook id WH1 at ppTestNow.
func ppTestSource(t testing.TB, keys provider.KeyFetcher) *provider.Provider {
	return mustNew(t, provider.Config{Kind: "paypal", WebhookID: "WH1", Keys: keys, Now: func() time.Time { return ppTestNow }})
}

// TestPayPalCertDocuments: what is served at the certificate URL, and
// whether a delivery signed with the matching key then verifies.
func TestPayPalCertDocuments(t *testing.T) {
	k := testRSAKeys()[0]
	good := ppCertPEM(t, ppCertSpec{key: k})
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other := ppCertPEM(t, ppCertSpec{key: testRSAKeys()[1]})
	pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	block, _ := pem.Decode([]byte(good))
	withHeaders := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: block.Bytes}))
	for _, c := range []struct {
		name string
		doc  string
		want error
	}{
		{"certificate", good, nil},
		{"with CRLF line ends", strings.ReplaceAll(good, "\n", "\r\n"), nil},
		{"without the final newline", strings.TrimSuffix(good, "\n"), nil},
		{"white space around", "\r\n \t" + good + "\n\n", nil},
		{"a chain after it", good + other, nil},
		{"sandbox name", ppCertPEM(t, ppCertSpec{key: k, cn: "messageverificationcerts.sandbox.paypal.com"}), nil},
		{"name in upper case", ppCertPEM(t, ppCertSpec{key: k, cn: "MESSAGEVERIFICATIONCERTS.PAYPAL.COM"}), nil},
		{"name only as a DNS name", ppCertPEM(t, ppCertSpec{key: k, cn: "PayPal", dns: []string{"messageverificationcerts.paypal.com"}}), nil},
		{"another key's certificate", other, provider.ErrBadSignature},
		{"the chain's second certificate signs", other + good, provider.ErrBadSignature},
		{"another name", ppCertPEM(t, ppCertSpec{key: k, cn: "api.paypal.com"}), provider.ErrBadSignature},
		{"a name that only ends like PayPal's", ppCertPEM(t, ppCertSpec{key: k, cn: "evilmessageverificationcerts.paypal.com"}), provider.ErrBadSignature},
		{"PayPal's name on another domain", ppCertPEM(t, ppCertSpec{key: k, cn: "messageverificationcerts.paypal.com.example"}), provider.ErrBadSignature},
		{"expired", ppCertPEM(t, ppCertSpec{key: k, notBefore: ppTestNow.AddDate(-2, 0, 0), notAfter: ppTestNow.Add(-time.Second)}), provider.ErrBadSignature},
		{"not valid yet", ppCertPEM(t, ppCertSpec{key: k, notBefore: ppTestNow.Add(time.Second), notAfter: ppTestNow.AddDate(1, 0, 0)}), provider.ErrBadSignature},
		{"RSA of 1024 bits", ppCertPEM(t, ppCertSpec{key: small}), provider.ErrBadSignature},
		{"ECDSA key", ppCertPEM(t, ppCertSpec{key: ec}), provider.ErrBadSignature},
		{"a public key, not a certificate", pubPEM, provider.ErrBadSignature},
		{"PEM headers", withHeaders, provider.ErrBadSignature},
		{"text before", "PayPal certificate\n" + good, provider.ErrBadSignature},
		{"text after", good + "<html></html>", provider.ErrBadSignature},
		{"a broken block first", "-----BEGIN CERTIFICATE-----\nnot base64\n" + good, provider.ErrBadSignature},
		{"a key after it", good + pubPEM, provider.ErrBadSignature},
		{"DER", string(block.Bytes), provider.ErrBadSignature},
		{"not a certificate inside", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", provider.ErrBadSignature},
		{"empty", "", provider.ErrBadSignature},
		{"a JSON error", `{"name":"RESOURCE_NOT_FOUND"}`, provider.ErrBadSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := ppTestURL("CERT-test")
			d := ppDelivery(k, url)
			err := ppTestSource(t, newKeyServer(map[string]string{url: c.doc})).Verify(d.body, d.h)
			checkSentinel(t, err, c.want)
		})
	}
}

// TestPayPalCertURLs: a certificate URL that is not https on PayPal's
// hosts and certificate path is refused before any lookup.
func TestPayPalCertURLs(t *testing.T) {
	k := testRSAKeys()[0]
	for _, u := range []string{
		"http://api.paypal.com/v1/notifications/certs/CERT-1",
		"https://api.paypal.com:8443/v1/notifications/certs/CERT-1",
		"https://api.paypal.com.example.com/v1/notifications/certs/CERT-1",
		"https://paypal.com/v1/notifications/certs/CERT-1",
		"https://www.paypal.com/v1/notifications/certs/CERT-1",
		"https://user@api.paypal.com/v1/notifications/certs/CERT-1",
		"https://api.paypal.com/v1/oauth2/token",
		"https://api.paypal.com/v1/notifications/certs/",
		"https://api.paypal.com/v1/notifications/certs/CERT-1/",
		"https://api.paypal.com/v1/notifications/certs/CERT-1?x=-----BEGIN",
		"https://api.paypal.com/v1/notifications/certs/CERT-1?",
		"https://api.paypal.com/v1/notifications/certs/CERT-1#x",
		"https://api.paypal.com/v1/notifications/certs/../webhooks",
		"https://api.paypal.com/v1/notifications/certs/CERT%2D1",
		"https://api.paypal.com/v1/notifications/certs/CERT 1",
		"https://api.paypal.com/V1/notifications/certs/CERT-1",
		"https://api.paypal.com/v1/notifications/certs/" + strings.Repeat("C", 129),
		"//api.paypal.com/v1/notifications/certs/CERT-1",
		"/v1/notifications/certs/CERT-1",
		"api.paypal.com/v1/notifications/certs/CERT-1",
		"https://api.paypal.com\\@evil.example/v1/notifications/certs/CERT-1",
	} {
		t.Run(u, func(t *testing.T) {
			srv := newKeyServer(map[string]string{u: ppCertPEM(t, ppCertSpec{key: k})})
			d := ppDelivery(k, u)
			err := ppTestSource(t, srv).Verify(d.body, d.h)
			checkSentinel(t, err, provider.ErrBadSignature)
			checkNoLeak(t, err, d.h.Get("PAYPAL-TRANSMISSION-SIG"))
			if reqs, _ := srv.log(); len(reqs) != 0 {
				t.Fatalf("looked the key up at %s", u)
			}
		})
	}
	// Each default host, and a host set by key_hosts, is fetched from.
	for _, host := range provider.DefaultKeyHosts("paypal") {
		u := "https://" + host + "/v1/notifications/certs/CERT-360caa42-fca2a594-7a8ab1d4"
		d := ppDelivery(k, u)
		checkSentinel(t, ppTestSource(t, newKeyServer(map[string]string{u: ppCertPEM(t, ppCertSpec{key: k})})).Verify(d.body, d.h), nil)
	}
	u := "https://keys.test:8443/v1/notifications/certs/CERT-1"
	srv := newKeyServer(map[string]string{u: ppCertPEM(t, ppCertSpec{key: k})})
	p := mustNew(t, provider.Config{Kind: "paypal", WebhookID: "WH1", Keys: srv, KeyHosts: []string{"keys.test:8443"}, Now: func() time.Time { return ppTestNow }})
	d := ppDelivery(k, u)
	checkSentinel(t, p.Verify(d.body, d.h), nil)
	d = ppDelivery(k, ppTestURL("CERT-1"))
	checkSentinel(t, p.Verify(d.body, d.h), provider.ErrBadSignature)
}

// TestPayPalKeyRotation: two certificates at two URLs, each verifying
// what its key signed; and a certificate renewed under its URL, which a
// signature under the new key fetches again once.
func TestPayPalKeyRotation(t *testing.T) {
	a, b, c := testRSAKeys()[0], testRSAKeys()[1], testRSAKeys()[2]
	urlA, urlB := ppTestURL("CERT-a"), ppTestURL("CERT-b")
	srv := newKeyServer(map[string]string{urlA: ppCertPEM(t, ppCertSpec{key: a}), urlB: ppCertPEM(t, ppCertSpec{key: b})})
	p := ppTestSource(t, srv)
	for _, s := range []struct {
		key  *rsa.PrivateKey
		url  string
		want error
	}{
		{a, urlA, nil}, {b, urlB, nil}, {a, urlA, nil},
		{b, urlA, provider.ErrBadSignature}, {a, urlB, provider.ErrBadSignature},
	} {
		d := ppDelivery(s.key, s.url)
		checkSentinel(t, p.Verify(d.body, d.h), s.want)
	}
	if _, parses := srv.log(); parses != 4 {
		t.Fatalf("%d parses: want one per URL, and one more for each refused signature", parses)
	}

	// Renewal under one URL: the cached certificate is A's, the document
	// now B's.
	srv = newKeyServer(map[string]string{urlA: ppCertPEM(t, ppCertSpec{key: a})})
	p = ppTestSource(t, srv)
	d := ppDelivery(a, urlA)
	checkSentinel(t, p.Verify(d.body, d.h), nil)
	srv.set(urlA, ppCertPEM(t, ppCertSpec{key: b}))
	d = ppDelivery(b, urlA)
	checkSentinel(t, p.Verify(d.body, d.h), nil)
	checkSentinel(t, p.Verify(d.body, d.h), nil)
	d = ppDelivery(c, urlA)
	checkSentinel(t, p.Verify(d.body, d.h), provider.ErrBadSignature)
	reqs, parses := srv.log()
	var refreshes int
	for _, r := range reqs {
		if r.Refresh {
			refreshes++
		}
	}
	if len(reqs) != 6 || refreshes != 2 || parses != 3 {
		t.Fatalf("%d requests, %d refreshes, %d parses; want 6, 2 (B's first signature, C's), 3", len(reqs), refreshes, parses)
	}
}

// TestPayPalKeyUnavailable: a key that cannot be had is
// ErrKeyUnavailable, whatever the signature, so that PayPal retries.
func TestPayPalKeyUnavailable(t *testing.T) {
	k := testRSAKeys()[0]
	url := ppTestURL("CERT-1")
	d := ppDelivery(k, url)
	srv := newKeyServer(map[string]string{url: ppCertPEM(t, ppCertSpec{key: k})})
	srv.down = true
	checkSentinel(t, ppTestSource(t, srv).Verify(d.body, d.h), provider.ErrKeyUnavailable)
	checkSentinel(t, ppTestSource(t, newKeyServer(map[string]string{})).Verify(d.body, d.h), provider.ErrKeyUnavailable)
	// No fetcher at all, as for a provider built only to check a config.
	checkSentinel(t, ppTestSource(t, nil).Verify(d.body, d.h), provider.ErrKeyUnavailable)
	// A cached certificate that does not verify is fetched once more; if
	// that fails, PayPal is asked to retry.
	srv = newKeyServer(map[string]string{url: ppCertPEM(t, ppCertSpec{key: k})})
	p := ppTestSource(t, srv)
	checkSentinel(t, p.Verify(d.body, d.h), nil)
	srv.down = true
	d = ppDelivery(testRSAKeys()[1], url)
	checkSentinel(t, p.Verify(d.body, d.h), provider.ErrKeyUnavailable)
	// Headers at fault are found before any lookup.
	d.h.Del("PAYPAL-AUTH-ALGO")
	checkSentinel(t, p.Verify(d.body, d.h), provider.ErrMissingSignature)
}

// TestPayPalDevelopmentKeys: a source with development keys verifies what
// Sign made with the development key, never looks a key up, and trusts
// nothing else; Sign works for no other source.
func TestPayPalDevelopmentKeys(t *testing.T) {
	dev := mustNew(t, provider.Config{Kind: "paypal", WebhookID: "WH1", DevelopmentKeys: true, Keys: noFetcher{t}, Now: func() time.Time { return ppTestNow }})
	body := []byte(ppNode.body)
	h := header("Content-Type", "application/json")
	if err := dev.Sign(body, h, ppTestNow); err != nil {
		t.Fatal(err)
	}
	checkSentinel(t, dev.Verify(body, h), nil)
	if got := h.Get("PAYPAL-CERT-URL"); got != "https://api.paypal.com/v1/notifications/certs/CERT-hookbridge-development" {
		t.Errorf("PAYPAL-CERT-URL = %q", got)
	}
	if got := h.Get("PAYPAL-TRANSMISSION-TIME"); got != "2026-11-27T12:00:00Z" || h.Get("PAYPAL-AUTH-ALGO") != "SHA256withRSA" {
		t.Errorf("PAYPAL-TRANSMISSION-TIME = %q, PAYPAL-AUTH-ALGO = %q", got, h.Get("PAYPAL-AUTH-ALGO"))
	}
	// Independently: the signature is PayPal's scheme under the published key.
	block, _ := pem.Decode([]byte(provider.DevelopmentKeyPEM))
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if want := ppSign(key.(*rsa.PrivateKey), h.Get("PAYPAL-TRANSMISSION-ID"), h.Get("PAYPAL-TRANSMISSION-TIME"), "WH1", body); h.Get("PAYPAL-TRANSMISSION-SIG") != want {
		t.Errorf("signature %s, want %s", h.Get("PAYPAL-TRANSMISSION-SIG"), want)
	}
	// Each transmission has its own id.
	h2 := http.Header{}
	if err := dev.Sign(body, h2, ppTestNow); err != nil {
		t.Fatal(err)
	}
	if h2.Get("PAYPAL-TRANSMISSION-ID") == h.Get("PAYPAL-TRANSMISSION-ID") || len(h2.Get("PAYPAL-TRANSMISSION-ID")) != 36 {
		t.Errorf("transmission ids %q and %q, want two UUIDs", h.Get("PAYPAL-TRANSMISSION-ID"), h2.Get("PAYPAL-TRANSMISSION-ID"))
	}
	// What the development key signed for another webhook, PayPal's own
	// deliveries, and certificate URLs off the hosts are refused.
	other := mustNew(t, provider.Config{Kind: "paypal", WebhookID: "WH2", DevelopmentKeys: true, Now: func() time.Time { return ppTestNow }})
	checkSentinel(t, other.Verify(body, h), provider.ErrBadSignature)
	v := ppNode
	devVector := mustNew(t, provider.Config{Kind: "paypal", WebhookID: v.webhookID, DevelopmentKeys: true, Keys: noFetcher{t}, Now: func() time.Time { return v.at() }})
	checkSentinel(t, devVector.Verify([]byte(v.body), v.header(ppSandboxCertURL)), provider.ErrBadSignature)
	off := h.Clone()
	off.Set("PAYPAL-CERT-URL", "https://keys.example.com/v1/notifications/certs/CERT-hookbridge-development")
	checkSentinel(t, dev.Verify(body, off), provider.ErrBadSignature)
	// A source set to another key host signs with a URL on it.
	hosted := mustNew(t, provider.Config{Kind: "paypal", WebhookID: "WH1", DevelopmentKeys: true, KeyHosts: []string{"localhost:8443"}, Now: func() time.Time { return ppTestNow }})
	h3 := http.Header{}
	if err := hosted.Sign(body, h3, ppTestNow); err != nil {
		t.Fatal(err)
	}
	if got := h3.Get("PAYPAL-CERT-URL"); got != "https://localhost:8443/v1/notifications/certs/CERT-hookbridge-development" {
		t.Errorf("PAYPAL-CERT-URL = %q", got)
	}
	checkSentinel(t, hosted.Verify(body, h3), nil)

	// A source trusting PayPal's keys cannot sign, and says why.
	h4 := http.Header{}
	err = ppTestSource(t, noFetcher{t}).Sign(body, h4, ppTestNow)
	if err == nil || !strings.Contains(err.Error(), "development_keys: true") || len(h4) != 0 {
		t.Fatalf("Sign = %v, set %v; want an error naming development_keys and no headers", err, h4)
	}
}

// TestPayPalConfig: a paypal source needs its webhook id, as PayPal
// shows it, and takes no secrets.
func TestPayPalConfig(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  provider.Config
		want string // the error text starts with this; "" for none
	}{
		{"webhook id", provider.Config{Kind: "paypal", WebhookID: "1JE4291016473214C"}, ""},
		{"no webhook id", provider.Config{Kind: "paypal"}, "webhook_id: required"},
		{"the simulator's webhook id", provider.Config{Kind: "paypal", WebhookID: "WEBHOOK_ID"}, ""},
		{"webhook id with |", provider.Config{Kind: "paypal", WebhookID: "1JE4|x"}, "webhook_id: want letters and digits"},
		{"webhook id with a space", provider.Config{Kind: "paypal", WebhookID: "1JE4 "}, "webhook_id: want letters and digits"},
		{"secrets", provider.Config{Kind: "paypal", WebhookID: "WH1", Secrets: []string{"s3cr3t-value-do-not-leak"}}, "secrets: paypal verifies with its platform's public keys"},
		{"key host not a host", provider.Config{Kind: "paypal", WebhookID: "WH1", KeyHosts: []string{"https://api.paypal.com"}}, `key_hosts[0]: "https://api.paypal.com" is not a host`},
		{"type prefix", provider.Config{Kind: "paypal", WebhookID: "WH1", TypePrefix: "com.x."}, "type_prefix: only for standardwebhooks and hmac"},
		{"negative tolerance", provider.Config{Kind: "paypal", WebhookID: "WH1", Tolerance: -time.Second}, "tolerance: must not be negative"},
		{"webhook id on stripe", provider.Config{Kind: "stripe", Secrets: []string{"whsec_x"}, WebhookID: "WH1"}, "webhook_id: only for paypal"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := provider.New(c.cfg)
			if c.want == "" {
				if err != nil || p.Kind() != "paypal" || p.CEType("PAYMENT.CAPTURE.COMPLETED") != "com.paypal.PAYMENT.CAPTURE.COMPLETED" {
					t.Fatalf("New = %v, %v", p, err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("New = %v, want an error starting %q", err, c.want)
			}
			checkNoLeak(t, err, "s3cr3t-value-do-not-leak")
		})
	}
}

func TestPayPalExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "paypal", WebhookID: "WH1"})
	runExtractCases(t, p, []extractCase{
		{name: "node vector", body: ppNode.body, want: provider.Event{
			ID: "WH-0G2756385H040842W-5Y612302CV158622M", Type: "PAYMENT.SALE.COMPLETED", Source: "WH1", Subject: "4EU7004268015634R",
			Time: time.Date(2015, 5, 18, 15, 45, 13, 0, time.UTC),
		}},
		{name: "capture, time with milliseconds", body: `{"id":"WH-58D329510W468432D-8HN650336L201105X","create_time":"2019-02-14T21:50:07.940Z","resource_type":"capture","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{"id":"3C679366HH908993F","status":"COMPLETED"}}`,
			want: provider.Event{
				ID: "WH-58D329510W468432D-8HN650336L201105X", Type: "PAYMENT.CAPTURE.COMPLETED", Source: "WH1", Subject: "3C679366HH908993F",
				Time: time.Date(2019, 2, 14, 21, 50, 7, 940e6, time.UTC),
			}},
		{name: "no resource, no time", body: `{"id":"WH-1","event_type":"X"}`, want: provider.Event{ID: "WH-1", Type: "X", Source: "WH1"}},
		{name: "no id", body: `{"event_type":"PAYMENT.CAPTURE.COMPLETED"}`, err: provider.ErrUnusable},
		{name: "no event type", body: `{"id":"WH-1","resource":{"id":"a"}}`, err: provider.ErrUnusable},
		{name: "id a number", body: `{"id":1,"event_type":"X"}`, err: provider.ErrUnusable},
		{name: "id twice", body: `{"id":"WH-1","event_type":"X","id":"WH-2"}`, err: provider.ErrUnusable},
		{name: "event type in two cases", body: `{"id":"WH-1","event_type":"X","Event_Type":"Y"}`, err: provider.ErrUnusable},
		{name: "resource id twice", body: `{"id":"WH-1","event_type":"X","resource":{"id":"a","id":"b"}}`, err: provider.ErrUnusable},
		{name: "not JSON", body: `WH-1`, err: provider.ErrUnusable},
	})
}

// TestPayPalCRC32 documents the weakness of PayPal's scheme: the body is
// signed only through its CRC-32, so a different body with the same
// CRC-32 (here the vector with its amount changed and letters of two
// strings adjusted to restore the CRC) verifies under PayPal's genuine
// signature. Only the transmission time's tolerance bounds how long a
// captured delivery can be abused so.
func TestPayPalCRC32(t *testing.T) {
	v := ppNode
	forged := []byte(strings.Replace(v.body, `"total":"20.00"`, `"total":"99.00"`, 1))
	ppForceCRC(t, forged, crc32.ChecksumIEEE([]byte(v.body)), `"summary":"`, `"protection_eligibility_type":"`)
	if string(forged) == v.body || !strings.Contains(string(forged), `"total":"99.00"`) {
		t.Fatal("the forged body is the vector's")
	}
	p := ppVectorSource(t, v, newKeyServer(map[string]string{ppSandboxCertURL: ppSandboxCert}))
	checkSentinel(t, p.Verify(forged, v.header(ppSandboxCertURL)), nil)
	if _, err := p.Extract(forged, http.Header{}); err != nil {
		t.Fatalf("the forged body is not a usable event: %v", err)
	}
}

// ppForceCRC flips bits 0 and 1 of ASCII letters in the string values
// that follow the markers (a letter stays a character a JSON string may
// hold) so that the CRC-32 of body becomes want. CRC-32 is affine over
// GF(2): the change a set of flips makes is the XOR of the changes each
// makes alone, so the flips are found by Gaussian elimination.
func ppForceCRC(t *testing.T, body []byte, want uint32, markers ...string) {
	t.Helper()
	type flip struct {
		pos  int
		mask byte
	}
	var flips []flip
	var effects []uint32
	base := crc32.ChecksumIEEE(body)
	for _, m := range markers {
		start := strings.Index(string(body), m) + len(m)
		for i := start; i < len(body) && body[i] != '"'; i++ {
			if c := body[i] | 0x20; c < 'a' || c > 'z' {
				continue
			}
			for _, mask := range []byte{1, 2} {
				body[i] ^= mask
				effects = append(effects, crc32.ChecksumIEEE(body)^base)
				body[i] ^= mask
				flips = append(flips, flip{i, mask})
			}
		}
	}
	// Solve XOR of chosen effects == want^base; each row tracks the
	// flips it combines.
	var basis []crcRow
	for i, e := range effects {
		r := crcRow{e, make([]bool, len(flips))}
		r.uses[i] = true
		if r.reduce(basis); r.effect != 0 {
			basis = append(basis, r)
		}
	}
	target := crcRow{want ^ base, make([]bool, len(flips))}
	target.reduce(basis)
	if target.effect != 0 {
		t.Fatal("no set of flips reaches the CRC")
	}
	for j, use := range target.uses {
		if use {
			body[flips[j].pos] ^= flips[j].mask
		}
	}
	if got := crc32.ChecksumIEEE(body); got != want {
		t.Fatalf("CRC-32 %d, want %d", got, want)
	}
}

// crcRow is a CRC-32 change and the flips that make it.
type crcRow struct {
	effect uint32
	uses   []bool
}

// reduce XORs into r each row of basis that lowers r's effect (Gaussian
// elimination on the highest set bit).
func (r *crcRow) reduce(basis []crcRow) {
	for _, b := range basis {
		if r.effect^b.effect < r.effect {
			r.effect ^= b.effect
			for j := range r.uses {
				r.uses[j] = r.uses[j] != b.uses[j]
			}
		}
	}
}
