-- lspconfig-style configuration for Neovim 0.11+: save as `lsp/coworks.lua` on 'runtimepath'
-- (e.g. ~/.config/nvim/lsp/coworks.lua), then call `vim.lsp.enable('coworks')`.
return {
  cmd = { 'coworks-lsp' },
  filetypes = { 'rust', 'yaml', 'sh' },
  root_markers = { 'project.cws.yml' },
  init_options = { stage = 'dev' },
}
