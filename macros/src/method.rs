//! `#[task_method]`: checks the shape of the `async fn` and writes the method type and
//! its `TaskMethod` impl beside it. Every refusal is a `syn::Error` on the part of the
//! user's signature that is wrong.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, ItemFn, LitStr, PathArguments, ReturnType, Type};

/// The shape every task method has, quoted in errors.
const SHAPE: &str = "async fn name(input: Input, cx: TaskContext) -> Result<Output, HandlerError>";

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let name_override = parse_args(args)?;
    let function: ItemFn = syn::parse2(item)?;
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span(),
            format!("`#[task_method]` goes on an `async fn`: write `{SHAPE}`"),
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "a task method cannot be generic: its input and output are fixed types that both sides agree on",
        ));
    }
    let (input_type, takes_context) = arguments(sig)?;
    let output_type = ok_type(sig)?;

    let name = &sig.ident;
    let vis = &function.vis;
    let method_name = name_override.unwrap_or_else(|| LitStr::new(&name.to_string(), name.span()));
    let call = if takes_context {
        quote! { #name(input, cx) }
    } else {
        quote! { { let _ = cx; #name(input) } }
    };
    let check = format_ident!("__leptos_atelier_payload");
    let input_check = quote_spanned! {input_type.span()=> #check::<#input_type>(); };
    let output_check = quote_spanned! {output_type.span()=> #check::<#output_type>(); };
    let doc = format!("The worker method [`{name}`](fn@{name}), as a type: `task.call::<{name}>(input)`.");
    Ok(quote! {
        #function

        #[doc = #doc]
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        #vis struct #name {}

        impl ::leptos_atelier::TaskMethod for #name {
            const NAME: &'static str = #method_name;
            type Input = #input_type;
            type Output = #output_type;

            fn run(
                input: Self::Input,
                cx: ::leptos_atelier::TaskContext,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<Self::Output, ::leptos_atelier::HandlerError>,
            > + 'static {
                #call
            }
        }

        const _: fn() = || {
            fn #check<T: ::leptos_atelier::__private::Payload>() {}
            #input_check
            #output_check
        };
    })
}

/// `name = "..."`, or nothing.
fn parse_args(args: TokenStream) -> syn::Result<Option<LitStr>> {
    if args.is_empty() {
        return Ok(None);
    }
    let mut name = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("name") {
            name = Some(meta.value()?.parse::<LitStr>()?);
            Ok(())
        } else {
            Err(meta.error("`#[task_method]` takes only `name = \"...\"` (the name the method travels under)"))
        }
    });
    syn::parse::Parser::parse2(parser, args)?;
    Ok(name)
}

/// The input's type, and whether the function takes the context too.
fn arguments(sig: &syn::Signature) -> syn::Result<(Type, bool)> {
    let mut typed = Vec::new();
    for argument in &sig.inputs {
        match argument {
            FnArg::Receiver(receiver) => {
                return Err(syn::Error::new(
                    receiver.span(),
                    format!("a task method is a free function, not a method with `self`: write `{SHAPE}`"),
                ));
            }
            FnArg::Typed(typed_argument) => typed.push(typed_argument),
        }
    }
    match typed.as_slice() {
        [] => Err(syn::Error::new(
            sig.paren_token.span.join(),
            "a task method takes its input: write `(input: Input)` or `(input: Input, cx: TaskContext)` \
             (use `()` as the type for no input)",
        )),
        [input] => Ok(((*input.ty).clone(), false)),
        [input, context] => {
            if !ends_with(&context.ty, "TaskContext") {
                return Err(syn::Error::new(
                    context.ty.span(),
                    "the second argument of a task method is the call's context: write `cx: TaskContext`",
                ));
            }
            Ok(((*input.ty).clone(), true))
        }
        [_, _, extra, ..] => Err(syn::Error::new(
            extra.span(),
            format!(
                "a task method takes one input and the context: put several values in a tuple or a struct \
                 and write `{SHAPE}`"
            ),
        )),
    }
}

/// `T` of the function's `Result<T, HandlerError>`.
fn ok_type(sig: &syn::Signature) -> syn::Result<Type> {
    let wrong = |span: proc_macro2::Span| {
        syn::Error::new(
            span,
            "a task method returns `Result<Output, HandlerError>`: write `-> Result<Output, HandlerError>` \
             and return `Ok(output)`, or `Err(HandlerError::new(..))` when it fails",
        )
    };
    let ty = match &sig.output {
        ReturnType::Default => return Err(wrong(sig.ident.span())),
        ReturnType::Type(_, ty) => ty,
    };
    let Type::Path(path) = &**ty else {
        return Err(wrong(ty.span()));
    };
    let Some(last) = path.path.segments.last() else {
        return Err(wrong(ty.span()));
    };
    if last.ident != "Result" {
        return Err(wrong(ty.span()));
    }
    let PathArguments::AngleBracketed(generics) = &last.arguments else {
        return Err(wrong(ty.span()));
    };
    let types: Vec<&Type> = generics
        .args
        .iter()
        .filter_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect();
    match types.as_slice() {
        [ok, error] if ends_with(error, "HandlerError") => Ok((*ok).clone()),
        [_, error] => Err(wrong(error.span())),
        _ => Err(wrong(ty.span())),
    }
}

/// Whether `ty` is a path whose last segment is `name`.
fn ends_with(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|segment| segment.ident == name))
}
