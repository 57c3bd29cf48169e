//! `worker_entry!(vis Name = [method, ...])`: the typed handle of a worker entry and the
//! exported function that serves its methods.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Ident, LitStr, Path, Token, Visibility, bracketed};

/// What the macro is given.
struct Entry {
    vis: Visibility,
    name: Ident,
    methods: Punctuated<Path, Token![,]>,
}

impl Parse for Entry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let vis = input.parse()?;
        let name: Ident = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "write `worker_entry!(pub AppWorkers = [method_a, method_b])`: a name for the entry, then its methods",
            )
        })?;
        input
            .parse::<Token![=]>()
            .map_err(|e| syn::Error::new(e.span(), "write `= [method_a, method_b]` after the entry's name"))?;
        let list;
        bracketed!(list in input);
        let methods = Punctuated::parse_terminated(&list)?;
        if !input.is_empty() {
            return Err(input.error("nothing goes after the list of methods"));
        }
        Ok(Entry { vis, name, methods })
    }
}

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let Entry { vis, name, methods } = syn::parse2(input)?;
    if methods.is_empty() {
        return Err(syn::Error::new(
            name.span(),
            "a worker entry serves at least one method: list them, `= [method_a, method_b]`",
        ));
    }
    let export = snake_case(&name.to_string());
    let export_name = LitStr::new(&export, name.span());
    let function = format_ident!("__leptos_atelier_entry_{}", export);
    let methods: Vec<&Path> = methods.iter().collect();
    // Each on the method's own span: a path that is no task method is an error there.
    let serves = methods
        .iter()
        .map(|method| quote_spanned! {method.span()=> impl ::leptos_atelier::Serves<#method> for #name {} });
    let doc = format!(
        "The worker entry `{export}`, serving {}: name it in a `TaskConfig` \
         (`TaskConfig::parallel({name})`).",
        methods
            .iter()
            .map(|m| format!("`{}`", quote!(#m).to_string().replace(' ', "")))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        #vis struct #name;

        impl ::leptos_atelier::WorkerEntry for #name {
            const NAME: &'static str = #export_name;

            fn registry() -> ::leptos_atelier::Registry {
                ::leptos_atelier::Registry::new() #( .method::<#methods>() )*
            }
        }

        #( #serves )*

        impl ::core::convert::From<#name> for ::std::string::String {
            fn from(_: #name) -> Self {
                ::std::string::String::from(#export_name)
            }
        }

        #[doc(hidden)]
        #[::leptos_atelier::__private::wasm_bindgen::prelude::wasm_bindgen(
            wasm_bindgen = ::leptos_atelier::__private::wasm_bindgen,
            js_name = #export_name
        )]
        pub fn #function() {
            ::leptos_atelier::serve(<#name as ::leptos_atelier::WorkerEntry>::registry());
        }
    })
}

/// `AppWorkers` → `app_workers`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (index, c) in name.char_indices() {
        if c.is_uppercase() {
            if index > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn entry_names_are_the_struct_in_snake_case() {
        assert_eq!(snake_case("AppWorkers"), "app_workers");
        assert_eq!(snake_case("Workers"), "workers");
        assert_eq!(snake_case("already_snake"), "already_snake");
    }
}
