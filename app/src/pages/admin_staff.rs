use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::page_loader::page_loader;
use crate::components::problem::Notice;
use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;
use crate::dto::admin::StaffAccounts;
use crate::server_fns::load_staff_accounts;

/// `/staff/admin/staff`: the back office's accounts, for admins.
#[component]
pub fn AdminStaffPage() -> impl IntoView {
    let lang = current_lang();
    let accounts = Resource::new(|| (), |_| load_staff_accounts());
    view! {
        <PageTitle text=lang.admin().staff_title />
        {page_loader(accounts, "/staff/login?notice=session".into(), "/staff/login", true, |accounts| view! { <Accounts accounts /> })}
        <SiteFooter />
    }
}

#[component]
fn Accounts(accounts: StaffAccounts) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.admin();
    let backoffice = lang.backoffice();
    let query = use_query_map();
    let (notice, error) = {
        let q = query.read_untracked();
        (q.get("notice"), q.get("error"))
    };
    let roles = ["privacy_analyst", "privacy_lead", "regulator", "admin"];
    view! {
        <SiteHeader signed_in_as=format!("{} ({})", accounts.viewer.name, backoffice.role_label(&accounts.viewer.role)) staff=true staff_role=accounts.viewer.role.clone() />
        <main id="main" class="page wide">
            <h1>{texts.staff_title}</h1>
            <p class="lead">{texts.staff_intro}</p>
            {notice.map(|n| view! { <Notice message=if n == "created" { texts.created } else { texts.saved } /> })}
            {error.map(|code| view! { <Notice message=texts.error_message(&code) error=true /> })}
            <div class="table-scroll">
                <table class="queue staff-accounts">
                    <thead>
                        <tr>
                            <th scope="col">{texts.col_name}</th>
                            <th scope="col">{texts.col_email}</th>
                            <th scope="col">{texts.col_role}</th>
                            <th scope="col">{texts.col_authority}</th>
                            <th scope="col">{texts.col_state}</th>
                            <th scope="col">{texts.sign_in_way}</th>
                            <th scope="col">{texts.col_last_sign_in}</th>
                            <th scope="col"><span class="visually-hidden">{texts.deactivate}</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {accounts.accounts.into_iter().map(|account| {
                            let (action, label) = if account.active {
                                (format!("/staff/admin/staff/{}/deactivate", account.id), texts.deactivate)
                            } else {
                                (format!("/staff/admin/staff/{}/activate", account.id), texts.activate)
                            };
                            view! {
                                <tr data-staff-email=account.email.clone()>
                                    <th scope="row">{account.name.clone()} {account.is_viewer.then(|| format!(" ({})", texts.you))}</th>
                                    <td>{account.email.clone()}</td>
                                    <td>{backoffice.role_label(&account.role)}</td>
                                    <td>{account.authority.clone().unwrap_or_default()}</td>
                                    <td>{if account.active { texts.active } else { texts.inactive }}</td>
                                    <td data-sign-in=if account.sso { "sso" } else { "password" }>
                                        {match (account.sso, account.password_sign_in) {
                                            (true, true) => format!("{} · {}", texts.via_sso, texts.via_password),
                                            (true, false) => texts.via_sso.to_owned(),
                                            (false, true) => texts.via_password.to_owned(),
                                            (false, false) => texts.sso_only.to_owned(),
                                        }}
                                    </td>
                                    <td>{account.last_signed_in_at.clone().unwrap_or_else(|| texts.never_signed_in.to_owned())}</td>
                                    <td>
                                        {(!account.is_viewer).then(|| view! {
                                            <form method="post" action=action>
                                                <button type="submit">{label}</button>
                                            </form>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <form method="post" action="/staff/admin/staff" class="action" id="new-account">
                <h2>{texts.create_heading}</h2>
                <label for="account-email">{lang.texts().email_label}</label>
                <input id="account-email" name="email" type="email" required autocomplete="off" />
                <label for="account-name">{texts.name_label}</label>
                <input id="account-name" name="name" type="text" required maxlength="100" autocomplete="off" />
                <label for="account-role">{texts.role_label}</label>
                <select id="account-role" name="role">
                    {roles.into_iter().map(|r| view! { <option value=r>{backoffice.role_label(r)}</option> }).collect_view()}
                </select>
                <label for="account-authority">{texts.authority_label}</label>
                <input id="account-authority" name="authority" type="text" maxlength="200" placeholder=texts.authority_hint />
                <label for="account-password">{texts.password_label}</label>
                <p class="small" id="account-password-hint">{texts.password_hint}</p>
                <input id="account-password" name="password" type="password" required minlength="12" autocomplete="new-password" aria-describedby="account-password-hint" />
                <button type="submit" class="primary">{texts.create_button}</button>
            </form>
        </main>
    }
}
