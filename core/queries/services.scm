; A candidate microservice: an `impl` block with a body. Run on one `impl_item` node at a time
; (max start depth 0); the tolerant reader collects the attributes and doc comments before it, which
; tree-sitter keeps as preceding siblings, not children.
(impl_item
  type: (_) @type
  body: (declaration_list) @body) @service
