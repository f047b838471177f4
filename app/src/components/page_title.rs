use leptos::prelude::*;
use leptos_meta::Title;

use crate::current_lang;

/// The page's `<title>`: its own name, then the portal's. Each page sets the whole title itself,
/// with no formatter around it from the app: such a formatter, hydrated before a lazily loaded
/// page's code arrives, would leave the browser's title blank until it does.
#[component]
pub fn PageTitle(#[prop(into)] text: String) -> impl IntoView {
    let app_name = current_lang().texts().app_name;
    view! { <Title text=format!("{text} – {app_name}") /> }
}
