//! The catalog service and its product entries.

use std::collections::BTreeMap;
use std::sync::RwLock;

use coworks::prelude::*;

/// A product on sale.
#[derive(Clone, Serialize, Deserialize)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub category: String,
    pub price_cents: u64,
    pub tags: Vec<String>,
}

/// A new price.
#[derive(Deserialize)]
pub struct Price {
    pub price_cents: u64,
}

/// The products of the e-shop.
#[derive(Default)]
pub struct Catalog {
    products: RwLock<BTreeMap<String, Product>>,
}

/// Browse and maintain the product catalog.
#[coworks::service(name = "catalog")]
impl Catalog {
    /// Products, filtered by category and tags (`?tags=a&tags=b`).
    #[entry]
    async fn get_products(
        &self,
        #[query] category: Option<String>,
        #[query] tags: Vec<String>,
    ) -> Json<Vec<Product>> {
        let products =
            self.products.read().map(|p| p.values().cloned().collect::<Vec<_>>()).unwrap_or_default();
        Json(
            products
                .into_iter()
                .filter(|p| category.as_ref().is_none_or(|c| &p.category == c))
                .filter(|p| tags.iter().all(|t| p.tags.contains(t)))
                .collect(),
        )
    }

    /// One product by its SKU.
    #[entry]
    async fn get_product(&self, sku: String) -> Result<Json<Product>, Error> {
        let products = self.products.read().map_err(|_| Error::internal("lock"))?;
        products.get(&sku).cloned().map(Json).ok_or(Error::not_found("no such product"))
    }

    /// The products of one category.
    #[entry(path = "/categories/{category}/products")]
    async fn get_category_products(&self, category: String) -> Json<Vec<Product>> {
        self.get_products(Some(category), Vec::new()).await
    }

    /// Creates or replaces a product.
    #[entry]
    async fn put_product(&self, sku: String, #[body] product: Product) -> Result<StatusCode, Error> {
        if product.sku != sku {
            return Err(Error::bad_request("the body's sku differs from the path's"));
        }
        let mut products = self.products.write().map_err(|_| Error::internal("lock"))?;
        products.insert(sku, product);
        Ok(StatusCode::NO_CONTENT)
    }

    /// Changes the price of a product.
    #[entry]
    async fn patch_product_price(&self, sku: String, #[body] price: Price) -> Result<Json<Product>, Error> {
        let mut products = self.products.write().map_err(|_| Error::internal("lock"))?;
        let product = products.get_mut(&sku).ok_or(Error::not_found("no such product"))?;
        product.price_cents = price.price_cents;
        Ok(Json(product.clone()))
    }

    /// Liveness probe: no token needed.
    #[entry(no_auth)]
    fn get_health(&self) -> &'static str {
        "ok"
    }
}
