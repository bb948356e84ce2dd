//! Catalog: the products of the e-shop.

mod products;

use coworks::prelude::*;

fn main() {
    coworks::serve(products::Catalog::default());
}
