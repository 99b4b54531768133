package shipping_test

import (
	"fmt"

	"github.com/hookbridge/hookbridge/consumers/shipping"
)

func ExampleKey() {
	for _, o := range [][3]string{
		{"shopify", "acme.myshopify.com", "820982911946154508"},
		{"woocommerce", "https://shop.example.test/", "727"},
		{"stripe", "/stripe/billing", "cs_test_a1YS1URl"},
		{"bigcommerce", "stores/abc123", "118"}, // any platform the normaliser maps
	} {
		k, _ := shipping.Key(o[0], o[1], o[2])
		fmt.Println(k)
	}
	// Output:
	// shopify.acme=2Emyshopify=2Ecom.820982911946154508
	// woocommerce.https=3A=2F=2Fshop=2Eexample=2Etest=2F.727
	// stripe.=2Fstripe=2Fbilling.cs_test_a1YS1URl
	// bigcommerce.stores=2Fabc123.118
}
