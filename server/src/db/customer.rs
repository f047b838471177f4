use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::customers;
use super::AnyConnection;
use crate::domain::{CustomerId, EmailAddress};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = customers)]
pub struct CustomerRow {
    pub id: i64,
    pub customer_ref: String,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub time_zone: String,
    pub is_vip: bool,
    pub created_at: NaiveDateTime,
    /// `de` or `en`: the language of the customer's emails.
    pub lang: String,
}

impl CustomerRow {
    pub fn id(&self) -> CustomerId {
        CustomerId(self.id)
    }

    /// The customer's time zone; an unknown stored name falls back to Berlin.
    pub fn time_zone(&self) -> chrono_tz::Tz {
        crate::domain::time::time_zone_named(&self.time_zone)
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = customers)]
pub struct NewCustomer {
    pub customer_ref: String,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub time_zone: String,
    pub is_vip: bool,
    pub created_at: NaiveDateTime,
}

pub fn find_by_email(
    conn: &mut AnyConnection,
    email: &EmailAddress,
) -> QueryResult<Option<CustomerRow>> {
    customers::table
        .filter(customers::email.eq(email.as_str()))
        .select(CustomerRow::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut AnyConnection, id: CustomerId) -> QueryResult<Option<CustomerRow>> {
    customers::table
        .find(id.0)
        .select(CustomerRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut AnyConnection, customer: &NewCustomer) -> QueryResult<usize> {
    diesel::insert_into(customers::table)
        .values(customer)
        .execute(conn)
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    customers::table.count().get_result(conn)
}

pub fn set_lang(conn: &mut AnyConnection, id: CustomerId, lang: &str) -> QueryResult<usize> {
    diesel::update(customers::table.find(id.0))
        .set(customers::lang.eq(lang))
        .execute(conn)
}

/// Which of these customer references belong to VIP customers.
pub fn vip_refs(conn: &mut AnyConnection) -> QueryResult<std::collections::HashSet<String>> {
    Ok(customers::table
        .filter(customers::is_vip.eq(true))
        .select(customers::customer_ref)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

pub fn find_by_ref(
    conn: &mut AnyConnection,
    customer_ref: &str,
) -> QueryResult<Option<CustomerRow>> {
    customers::table
        .filter(customers::customer_ref.eq(customer_ref))
        .select(CustomerRow::as_select())
        .first(conn)
        .optional()
}
