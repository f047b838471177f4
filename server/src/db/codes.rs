//! Domain codes stored as text: each enum is written as its `code()` and read back through its
//! `parse`, on either backend, so rows carry the enum itself rather than a string.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::domain::{DisputeStatus, StaffRole};

macro_rules! text_code {
    ($($ty:ty),+ $(,)?) => {
        $(
            impl<DB> ToSql<Text, DB> for $ty
            where
                DB: Backend,
                str: ToSql<Text, DB>,
            {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                    self.code().to_sql(out)
                }
            }

            impl<DB> FromSql<Text, DB> for $ty
            where
                DB: Backend,
                String: FromSql<Text, DB>,
            {
                fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                    let code = String::from_sql(bytes)?;
                    Ok(<$ty>::parse(&code)?)
                }
            }
        )+
    };
}

text_code!(DisputeStatus, StaffRole);
