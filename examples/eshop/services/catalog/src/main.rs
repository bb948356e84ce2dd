//! Catalog: the products of the e-shop.

mod products;

fn main() {
    coworks::serve(products::Catalog::default());
}
