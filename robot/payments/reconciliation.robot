*** Settings ***
Documentation     A lost webhook delays a sale but never loses it; emails go out once per sale.

Resource          ../../keywords/api.resource
Resource          ../../keywords/buyer_flows.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/listings.resource
Resource          ../../keywords/purchases.resource
Resource          ../../keywords/reconciliation.resource
Resource          ../../keywords/sandbox_controls.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         payments    reconciliation    db


*** Test Cases ***
Reconciliation Settles A Lost Stripe Webhook Exactly Once
    [Documentation]    The gateway is asked about stuck payments; a second run finds nothing to do.
    [Tags]    smoke    sandbox-only
    ${payment} =    Stripe Payment Whose Webhook Was Lost
    ${report} =    Reconcile Payments As    ${ADMIN}
    Report Should Settle    ${report}    ${payment}    processing    succeeded
    Payment Should Be Persisted As    ${payment}    status=succeeded
    Last Transition Cause Should Start With    ${payment}    reconcile
    ${again} =    Reconcile Payments As    ${ADMIN}
    Report Should Not Mention    ${again}    ${payment}
    Payment History Should Be    ${payment}    pending    processing    succeeded

Reconciliation Settles A Lost Flutterwave Webhook
    [Documentation]    A customer who paid but whose webhook and redirect were lost still gets the goods.
    [Tags]    sandbox-only
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN
    ${payment} =    Buy Listing    ${BUYER}    ${listing}
    Drop Webhooks For    flutterwave    ${payment}[id]
    Complete Checkout Without Return    ${payment}
    Payment Should Be Persisted As    ${payment}    status=pending
    ${report} =    Reconcile Payments As    ${ADMIN}
    Report Should Settle    ${report}    ${payment}    pending    succeeded
    Payment Should Be Persisted As    ${payment}    status=succeeded

An Answer That Says Nothing Leaves The Payment Untouched
    [Documentation]    A wrong key or a rate limit is not "unpaid": an expired payment must not be canceled on it.
    [Tags]    sandbox-only
    [Template]    Unreadable Lookup Should Leave The Payment Alone
    401    gateway_unauthorized
    403    gateway_unauthorized
    429    gateway_rate_limited
    500    gateway_unavailable

Reconciliation Sells A Payment Made After Expiry While Stock Remains
    [Documentation]    A buyer who paid on the hosted page after we gave up still gets the goods, with no webhook.
    [Tags]    sandbox-only    late-success    expiry
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN
    ${payment} =    Buy Listing    ${BUYER}    ${listing}    2
    Expire Through Reconciliation    ${ADMIN}    ${payment}
    Available Quantity Should Be    ${listing}    ${STOCK}
    Pay After The Order Lapsed    ${payment}
    Reconciliation Should Move    ${ADMIN}    ${payment}    canceled    succeeded
    Payment Should Be Persisted As    ${payment}    reserved=true
    Last Transition Cause Should Start With    ${payment}    reconcile:late
    Available Quantity Should Be    ${listing}    ${STOCK - 2}

Reconciliation Refunds A Payment Made After Expiry When Sold Out
    [Documentation]    Paid-but-unsold is found by reconciliation too, and the money goes back at once.
    [Tags]    sandbox-only    late-success    expiry
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN    quantity=2
    ${payment} =    Buy Listing    ${BUYER}    ${listing}    2
    Expire Through Reconciliation    ${ADMIN}    ${payment}
    Record Sale Of    ${listing}    2
    Pay After The Order Lapsed    ${payment}
    Reconciliation Should Move    ${ADMIN}    ${payment}    canceled    refunded
    Late Success Should Be Refunded In Full    ${BUYER}    ${payment}

A Late Payment's Refund That Failed Is Retried Until The Money Is Back
    [Documentation]    When the gateway refuses the refund of a late payment, the next reconciliation tries again.
    [Tags]    sandbox-only    late-success    expiry    resilience
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN    quantity=2
    ${payment} =    Buy Listing    ${BUYER}    ${listing}    2
    Expire Through Reconciliation    ${ADMIN}    ${payment}
    Record Sale Of    ${listing}    2
    # Armed before the late payment, so the first refund fails whichever reconciliation tries it.
    # A refusal (4xx): a 5xx or a timeout would leave the refund held until Flutterwave's
    # records say whether it was made (see "Flutterwave Refund Of Unknown Outcome Is Held").
    Make Gateway Answer    flutterwave    400    payment ${payment}[id] refund
    Pay After The Order Lapsed    ${payment}
    Reconcile Payments As    ${ADMIN}
    Refund Should Have Failed Once    ${payment}
    Reconciliation Should Move    ${ADMIN}    ${payment}    succeeded    refunded
    Late Success Should Be Refunded In Full    ${BUYER}    ${payment}

Only Admins Can Reconcile
    [Documentation]    Reconciliation touches every payment; buyers and sellers may not run it.
    [Tags]    security    authorization
    ${response} =    Call Reconcile As    ${SELLER}    expected_status=403
    Problem Should Be    ${response}    403

A Sale Sends One Receipt And One Sale Notice
    [Documentation]    Buyer and seller hear of each sale once, even when the webhook is replayed.
    [Tags]    mail    sandbox-only
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Pay And Settle With Stripe    ${BUYER}    ${listing}
    Replay Last Webhook    stripe    ${payment}    payment_intent.succeeded
    Sale Emails Should Arrive Once    ${BUYER}    ${SELLER}    ${payment}

A Declined Payment Sends No Email
    [Documentation]    Nobody is told of a sale that did not happen.
    [Tags]    mail
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    Pay With Test Card    ${BUYER}    ${payment}    pm_card_chargeDeclined    expected_status=402
    No Sale Emails Should Be Sent    ${payment}


*** Keywords ***
Unreadable Lookup Should Leave The Payment Alone
    [Documentation]    Flutterwave answers `status` to the lookup of an expired payment: untouched, reported as `error`.
    [Arguments]    ${status}    ${error}
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN
    ${payment} =    Buy Listing    ${BUYER}    ${listing}    2
    Let Payment Expire    ${payment}
    # Three answers: a reconciliation running in parallel may ask first.
    Make Gateway Answer    flutterwave    ${status}    tx_ref=${payment}[id]    count=3
    ${report} =    Reconcile Payments As    ${ADMIN}
    VAR    &{reported} =    payment_id=${payment}[id]    error=${error}
    Should Contain    ${report}[errors]    ${reported}
    Report Should Not Mention    ${report}    ${payment}
    Payment Should Be Persisted As    ${payment}    status=pending    reserved=true
    Available Quantity Should Be    ${listing}    ${STOCK - 2}

Stripe Payment Whose Webhook Was Lost
    [Documentation]    A card payment Stripe took whose webhooks never reached the API: stuck processing.
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    Drop Webhooks For    stripe    ${payment}[stripe][payment_intent_id]
    Pay With Test Card    ${BUYER}    ${payment}    expected_status=200
    Payment Should Be Persisted As    ${payment}    status=processing
    RETURN    ${payment}
