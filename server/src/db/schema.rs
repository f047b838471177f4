// @generated automatically by Diesel CLI.

diesel::table! {
    access_counts_daily (day, role_code, data_category, reason_code) {
        day -> Timestamp,
        role_code -> Text,
        data_category -> Text,
        reason_code -> Text,
        accesses -> Int8,
        with_ticket -> Int8,
    }
}

diesel::table! {
    access_counts_hourly (hour, role_code, data_category, reason_code) {
        hour -> Timestamp,
        role_code -> Text,
        data_category -> Text,
        reason_code -> Text,
        accesses -> Int8,
        with_ticket -> Int8,
    }
}

diesel::table! {
    access_events (id) {
        id -> Int8,
        source -> Text,
        event_id -> Text,
        occurred_at -> Timestamp,
        received_at -> Timestamp,
        customer_ref -> Text,
        employee_id -> Text,
        role_code -> Text,
        team -> Nullable<Text>,
        office_country -> Nullable<Text>,
        data_category -> Text,
        action -> Text,
        reason_code -> Text,
        reason_text -> Nullable<Text>,
        ticket_ref -> Nullable<Text>,
        system -> Nullable<Text>,
        content_sha256 -> Text,
        visible_from -> Nullable<Timestamp>,
        leaf_index -> Int8,
        leaf_format -> Int2,
        customer_previous_leaf -> Nullable<Int8>,
        customer_previous_hash -> Nullable<Binary>,
        customer_entry -> Nullable<Int8>,
        leaf_hash -> Nullable<Binary>,
    }
}

diesel::table! {
    access_explanations (access_event_id) {
        access_event_id -> Int8,
        state -> Text,
        context_id -> Nullable<Int8>,
        rules -> Text,
        score -> Int4,
        investigation_id -> Nullable<Int8>,
        evaluated_at -> Timestamp,
        occurred_at -> Timestamp,
        role_code -> Text,
    }
}

diesel::table! {
    context_kinds (code) {
        code -> Text,
        label_de -> Text,
        label_en -> Text,
        phrase_de -> Text,
        phrase_en -> Text,
        hours_before -> Int4,
        hours_after -> Int4,
    }
}

diesel::table! {
    context_records (id) {
        id -> Int8,
        kind -> Text,
        reference -> Text,
        customer_ref -> Text,
        opened_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        assigned_team -> Nullable<Text>,
        assigned_employee_id -> Nullable<Text>,
        source -> Text,
        described_at -> Timestamp,
    }
}

diesel::table! {
    customers (id) {
        id -> Int8,
        customer_ref -> Text,
        email -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        display_name -> Text,
        time_zone -> Text,
        is_vip -> Bool,
        created_at -> Timestamp,
        lang -> Text,
        last_signed_in_at -> Nullable<Timestamp>,
        profile_updated_at -> Nullable<Timestamp>,
        oidc_subject -> Nullable<Text>,
        surname_hash -> Nullable<Text>,
        postcode_hash -> Nullable<Text>,
    }
}

diesel::table! {
    data_categories (code) {
        code -> Text,
        label_de -> Text,
        label_en -> Text,
    }
}

diesel::table! {
    dead_letters (id) {
        id -> Int8,
        received_at -> Timestamp,
        transport -> Text,
        source -> Nullable<Text>,
        event_id -> Nullable<Text>,
        reason -> Text,
        raw_base64 -> Text,
        replayed_at -> Nullable<Timestamp>,
        allowed_sources -> Nullable<Text>,
        replay_error -> Nullable<Text>,
    }
}

diesel::table! {
    detection_rules (code) {
        code -> Text,
        enabled -> Bool,
        threshold -> Nullable<Float8>,
        updated_at -> Nullable<Timestamp>,
        updated_by -> Nullable<Int8>,
    }
}

diesel::table! {
    digest_progress (week_start) {
        week_start -> Date,
        last_customer_id -> Int8,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    dispute_events (dispute_id, access_event_id) {
        dispute_id -> Int8,
        access_event_id -> Int8,
    }
}

diesel::table! {
    dispute_history (id) {
        id -> Int8,
        dispute_id -> Int8,
        happened_at -> Timestamp,
        staff_user_id -> Nullable<Int8>,
        kind -> Text,
        body -> Nullable<Text>,
        visible_to_customer -> Bool,
    }
}

diesel::table! {
    disputes (id) {
        id -> Int8,
        reference -> Text,
        customer_id -> Int8,
        ground -> Text,
        statement -> Text,
        status -> Text,
        received_at -> Timestamp,
        due_on -> Date,
        extended_due_on -> Nullable<Date>,
        extension_reason -> Nullable<Text>,
        assignee_id -> Nullable<Int8>,
        decided_at -> Nullable<Timestamp>,
        decision_explanation -> Nullable<Text>,
        internal_note -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    email_outbox (id) {
        id -> Int8,
        customer_id -> Nullable<Int8>,
        kind -> Text,
        dedupe_key -> Nullable<Text>,
        recipient -> Text,
        message -> Text,
        queued_at -> Timestamp,
        next_attempt_at -> Timestamp,
        attempts -> Int4,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    employee_hours (hour, employee_id, role_code) {
        hour -> Timestamp,
        employee_id -> Text,
        role_code -> Text,
        customers -> Int8,
    }
}

diesel::table! {
    employees (employee_id) {
        employee_id -> Text,
        surname_hash -> Nullable<Text>,
        postcode_hash -> Nullable<Text>,
        team -> Nullable<Text>,
        shift_start -> Nullable<Int2>,
        shift_end -> Nullable<Int2>,
        active -> Bool,
        customer_ref -> Nullable<Text>,
        described_at -> Timestamp,
    }
}

diesel::table! {
    explanation_counts_daily (day, role_code, state) {
        day -> Timestamp,
        role_code -> Text,
        state -> Text,
        accesses -> Int8,
    }
}

diesel::table! {
    explanation_counts_hourly (hour, role_code, state) {
        hour -> Timestamp,
        role_code -> Text,
        state -> Text,
        accesses -> Int8,
    }
}

diesel::table! {
    explanation_progress (id) {
        id -> Int4,
        last_event_id -> Int8,
    }
}

diesel::table! {
    feed_event_keys (source, event_id) {
        source -> Text,
        event_id -> Text,
        content_sha256 -> Text,
    }
}

diesel::table! {
    feed_tokens (id) {
        id -> Int8,
        token_hash -> Text,
        label -> Text,
        allowed_sources -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ingest_stats (source, minute) {
        source -> Text,
        minute -> Timestamp,
        accepted -> Int8,
        rejected -> Int8,
        last_received_at -> Timestamp,
    }
}

diesel::table! {
    investigation_history (id) {
        id -> Int8,
        investigation_id -> Int8,
        staff_user_id -> Nullable<Int8>,
        kind -> Text,
        body -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    investigations (id) {
        id -> Int8,
        reference -> Text,
        employee_id -> Text,
        status -> Text,
        score -> Int4,
        flagged_count -> Int4,
        opened_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Int8>,
        outcome_reason -> Nullable<Text>,
    }
}

diesel::table! {
    log_checkpoints (tree_size) {
        tree_size -> Int8,
        root_hash -> Binary,
        note -> Text,
        issued_at -> Timestamp,
    }
}

diesel::table! {
    log_cosignatures (tree_size, witness) {
        tree_size -> Int8,
        witness -> Text,
        signature_line -> Text,
        cosigned_at -> Timestamp,
    }
}

diesel::table! {
    log_customer_heads (customer_ref) {
        customer_ref -> Text,
        last_leaf -> Int8,
        last_leaf_hash -> Binary,
        entries -> Int8,
    }
}

diesel::table! {
    log_identity (origin) {
        origin -> Text,
        verifier_key -> Text,
        customer_key_check -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    log_next_leaf (id) {
        id -> Int2,
        next_leaf -> Int8,
    }
}

diesel::table! {
    log_removed_leaves (first_leaf) {
        first_leaf -> Int8,
        end_leaf -> Int8,
        removed_at -> Timestamp,
    }
}

diesel::table! {
    log_retention_passes (removed_at) {
        removed_at -> Timestamp,
        removed_before -> Date,
        note -> Text,
    }
}

diesel::table! {
    log_tiles (level, tile_index) {
        level -> Int2,
        tile_index -> Int8,
        hashes -> Binary,
    }
}

diesel::table! {
    log_witness_sizes (witness) {
        witness -> Text,
        cosigned_size -> Int8,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Int8,
        throttle_key -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    notification_categories (customer_id, category_code) {
        customer_id -> Int8,
        category_code -> Text,
    }
}

diesel::table! {
    notification_preferences (customer_id) {
        customer_id -> Int8,
        mode -> Text,
        quiet_weeks -> Bool,
        changed_at -> Timestamp,
        last_alert_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    oidc_logins (state_hash) {
        state_hash -> Text,
        purpose -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        next_path -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    password_links (token_hash) {
        token_hash -> Text,
        customer_id -> Int8,
        purpose -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    pending_alerts (access_event_id) {
        access_event_id -> Int8,
        customer_id -> Int8,
        queued_at -> Timestamp,
    }
}

diesel::table! {
    portal_links (token_hash) {
        token_hash -> Text,
        customer_ref -> Text,
        email -> Nullable<Text>,
        display_name -> Nullable<Text>,
        lang -> Nullable<Text>,
        time_zone -> Nullable<Text>,
        path -> Text,
        return_url -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    reason_codes (code) {
        code -> Text,
        label_de -> Text,
        label_en -> Text,
    }
}

diesel::table! {
    regulator_actions (id) {
        id -> Int8,
        case_id -> Int8,
        staff_user_id -> Int8,
        kind -> Text,
        detail -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    regulator_cases (id) {
        id -> Int8,
        authority -> Text,
        reference -> Text,
        legal_basis -> Text,
        customer_id -> Int8,
        period_from -> Date,
        period_to -> Date,
        confidential -> Bool,
        opened_by -> Int8,
        opened_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    removed_access_events (first_id) {
        first_id -> Int8,
        end_id -> Int8,
        removed_at -> Timestamp,
    }
}

diesel::table! {
    role_baselines (role_code) {
        role_code -> Text,
        customers_per_hour_p99 -> Float8,
        computed_at -> Timestamp,
    }
}

diesel::table! {
    role_context_fit (role_code, kind) {
        role_code -> Text,
        kind -> Text,
    }
}

diesel::table! {
    roles (code) {
        code -> Text,
        department -> Text,
        label_de -> Text,
        label_en -> Text,
        description_de -> Text,
        description_en -> Text,
    }
}

diesel::table! {
    service_tokens (id) {
        id -> Int8,
        token_hash -> Text,
        label -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Text,
        customer_id -> Nullable<Int8>,
        staff_user_id -> Nullable<Int8>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        id_token -> Nullable<Text>,
        return_url -> Nullable<Text>,
    }
}

diesel::table! {
    source_systems (code) {
        code -> Text,
        label -> Text,
        covered_since -> Timestamp,
    }
}

diesel::table! {
    staff_users (id) {
        id -> Int8,
        email -> Text,
        password_hash -> Nullable<Text>,
        display_name -> Text,
        staff_role -> Text,
        authority -> Nullable<Text>,
        is_active -> Bool,
        created_at -> Timestamp,
        sso_subject -> Nullable<Text>,
        last_signed_in_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    trusted_devices (token_hash) {
        token_hash -> Text,
        account_key -> Text,
        created_at -> Timestamp,
        failures -> Int4,
    }
}

diesel::table! {
    unknown_codes (kind, code) {
        kind -> Text,
        code -> Text,
        events -> Int8,
        first_seen_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    worker_leases (name) {
        name -> Text,
        holder -> Text,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(access_explanations -> context_records (context_id));
diesel::joinable!(access_explanations -> investigations (investigation_id));
diesel::joinable!(detection_rules -> staff_users (updated_by));
diesel::joinable!(dispute_events -> disputes (dispute_id));
diesel::joinable!(dispute_history -> disputes (dispute_id));
diesel::joinable!(dispute_history -> staff_users (staff_user_id));
diesel::joinable!(disputes -> customers (customer_id));
diesel::joinable!(disputes -> staff_users (assignee_id));
diesel::joinable!(email_outbox -> customers (customer_id));
diesel::joinable!(investigation_history -> investigations (investigation_id));
diesel::joinable!(investigation_history -> staff_users (staff_user_id));
diesel::joinable!(investigations -> staff_users (decided_by));
diesel::joinable!(log_removed_leaves -> log_retention_passes (removed_at));
diesel::joinable!(notification_categories -> customers (customer_id));
diesel::joinable!(notification_preferences -> customers (customer_id));
diesel::joinable!(password_links -> customers (customer_id));
diesel::joinable!(pending_alerts -> customers (customer_id));
diesel::joinable!(regulator_actions -> regulator_cases (case_id));
diesel::joinable!(regulator_actions -> staff_users (staff_user_id));
diesel::joinable!(regulator_cases -> customers (customer_id));
diesel::joinable!(regulator_cases -> staff_users (opened_by));
diesel::joinable!(removed_access_events -> log_retention_passes (removed_at));
diesel::joinable!(sessions -> customers (customer_id));
diesel::joinable!(sessions -> staff_users (staff_user_id));

diesel::allow_tables_to_appear_in_same_query!(
    access_counts_daily,
    access_counts_hourly,
    access_events,
    access_explanations,
    context_kinds,
    context_records,
    customers,
    data_categories,
    dead_letters,
    detection_rules,
    digest_progress,
    dispute_events,
    dispute_history,
    disputes,
    email_outbox,
    employee_hours,
    employees,
    explanation_counts_daily,
    explanation_counts_hourly,
    explanation_progress,
    feed_event_keys,
    feed_tokens,
    ingest_stats,
    investigation_history,
    investigations,
    log_checkpoints,
    log_cosignatures,
    log_customer_heads,
    log_identity,
    log_next_leaf,
    log_removed_leaves,
    log_retention_passes,
    log_tiles,
    log_witness_sizes,
    login_failures,
    notification_categories,
    notification_preferences,
    oidc_logins,
    password_links,
    pending_alerts,
    portal_links,
    reason_codes,
    regulator_actions,
    regulator_cases,
    removed_access_events,
    role_baselines,
    role_context_fit,
    roles,
    service_tokens,
    sessions,
    source_systems,
    staff_users,
    trusted_devices,
    unknown_codes,
    worker_leases,
);
