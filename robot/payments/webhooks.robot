*** Settings ***
Documentation     Webhooks in the real world: forged, replayed, reordered, late, lost, unknown.

Resource          ../../keywords/audit.resource
Resource          ../../keywords/buyer_flows.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/disputes.resource
Resource          ../../keywords/purchases.resource
Resource          ../../keywords/sandbox_controls.resource
Resource          ../../keywords/webhooks.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         payments    webhooks    db    sandbox-only


*** Test Cases ***
Badly Signed Stripe Webhooks Are Refused
    [Documentation]    Only Stripe, with the endpoint's secret and a fresh timestamp, can move money.
    [Tags]    security
    [Template]    Stripe Webhook With Signature Should Be Refused
    bad
    missing
    stale

A Wrong Flutterwave Hash Is Refused
    [Documentation]    Without the shared verif-hash nobody can claim a Flutterwave payment.
    [Tags]    security
    [Template]    Flutterwave Webhook With Signature Should Be Refused
    bad
    missing

The Same Event Twice Changes Nothing
    [Documentation]    Gateways deliver at least once; a duplicate must be acknowledged and ignored.
    ${payment} =    Settled Stripe Payment
    ${result} =    Replay Last Webhook    stripe    ${payment}    payment_intent.succeeded
    Should Be Equal As Integers    ${result}[status]    200
    Should Contain    ${result}[body]    duplicate
    Webhook Events For Payment Should Be    ${payment}    payment_intent.succeeded    1
    Payment History Should Be    ${payment}    pending    processing    succeeded

Succeeded Before Processing Ends Succeeded
    [Documentation]    Events can arrive out of order; a late `processing` must not undo a sale.
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    ${succeeded} =    Craft Stripe Event    ${payment}    payment_intent.succeeded    apply=${TRUE}
    ${processing} =    Craft Stripe Event    ${payment}    payment_intent.processing
    Deliver Events In Order    stripe    ${succeeded}    ${processing}
    Payment Should Be Persisted As    ${payment}    status=succeeded
    Payment History Should Be    ${payment}    pending    succeeded

A Late Decline Of The First Card Does Not Reopen The Order
    [Documentation]    Stripe delivers events in any order: an old decline must not fail a payment already processing.
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    ${declined} =    Craft Stripe Event    ${payment}    payment_intent.payment_failed
    ${processing} =    Craft Stripe Event    ${payment}    payment_intent.processing    apply=${TRUE}
    ${results} =    Deliver Events In Order    stripe    ${processing}    ${declined}
    Should Be Equal As Integers    ${results}[1][status]    200
    Payment Should Be Persisted As    ${payment}    status=processing    failure_code=None    reserved=true
    Payment History Should Be    ${payment}    pending    processing

Payment Failed After Succeeded Cannot Undo The Sale
    [Documentation]    States only move forward: a stale failure never takes back a paid order.
    ${payment} =    Settled Stripe Payment
    ${failed} =    Craft Stripe Event    ${payment}    payment_intent.payment_failed
    ${results} =    Deliver Events In Order    stripe    ${failed}
    Should Be Equal As Integers    ${results}[0][status]    200
    Payment Should Be Persisted As    ${payment}    status=succeeded    reserved=true
    Payment History Should Be    ${payment}    pending    processing    succeeded

A Failing Delivery Is Retried Until It Lands
    [Documentation]    If our endpoint is down, Stripe retries, and the sale is still booked once.
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    Fail Webhook Deliveries For    stripe    ${payment}[stripe][payment_intent_id]    2
    Pay With Test Card    ${BUYER}    ${payment}    expected_status=200
    Payment Status Should Become    ${payment}    succeeded
    Event Should Have Been Retried    stripe    ${payment}    payment_intent.succeeded
    Webhook Events For Payment Should Be    ${payment}    payment_intent.succeeded    1

An Event For An Unknown Payment Is Acknowledged And Recorded
    [Documentation]    Unknown references must not error (the gateway would retry forever) nor create value.
    ${event} =    Stripe Event For A Payment The API Never Made
    ${result} =    Redeliver Event    stripe    ${event}
    Should Be Equal As Integers    ${result}[status]    200
    Should Contain    ${result}[body]    unknown_reference
    Event Should Be Recorded With Outcome    stripe    ${event}    unknown_reference

Every Shape Stripe Can Send Is Acknowledged And Stored
    [Documentation]    A verified event that answers 5xx is retried for days; every shape must be 2xx and recorded.
    [Tags]    robustness
    [Template]    Stripe Event Shape Should Be Acknowledged
    payment_intent.succeeded    expanded_charge    applied:succeeded    succeeded
    payment_intent.succeeded    minimal    applied:succeeded    succeeded
    payment_intent.amount_capturable_updated    ${EMPTY}    ignored    pending
    payment_intent.payment_failed    minimal    applied:requires_payment_method    requires_payment_method
    payment_intent.canceled    ${EMPTY}    applied:canceled    canceled

A Stripe Dispute Opens A Dispute
    [Documentation]    A chargeback opened at the card network must reach the admins' queue.
    ${payment} =    Settled Stripe Payment
    Open Stripe Dispute For    ${payment}
    Payment Status Should Become    ${payment}    disputed
    Dispute From Stripe Should Be Recorded For    ${payment}

A Chargeback Ends As The Card Network Decides
    [Documentation]    Stripe's decision closes the chargeback: won restores the sale, lost leaves it refunded in full.
    [Tags]    disputes    chargeback
    [Template]    Chargeback Closed As Should Leave The Payment
    won    succeeded    0
    lost    refunded    10000

A Payment Stripe Is Still Processing Ends As Stripe Says
    [Documentation]    Slow methods report processing first; the outcome that follows is the one booked.
    [Template]    Processing Should End In
    payment_intent.canceled    canceled    10
    payment_intent.payment_failed    requires_payment_method    9

A 3-D Secure Payment The Bank Is Still Processing Waits For Its Outcome
    [Documentation]    After the challenge the bank may take its time: the order stays held, not sold or lost.
    [Tags]    browser    3ds
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    Confirm In The Browser    ${payment}    pm_card_threeDSecure2Required
    Payment Status Should Become    ${payment}    requires_action
    ${processing} =    Craft Stripe Event    ${payment}    payment_intent.processing
    Deliver Events In Order    stripe    ${processing}
    Payment Should Be Persisted As    ${payment}    status=processing    reserved=true
    Payment History Should Be    ${payment}    pending    requires_action    processing

A Refund Made At The Stripe Dashboard Reaches The Books
    [Documentation]    Money given back outside the API still shows on the payment, in part and then in full.
    [Tags]    refunds
    ${listing} =    Listing To Buy From    ${SELLER}    price_per_unit=${10000}
    ${payment} =    Pay And Settle With Stripe    ${BUYER}    ${listing}
    Refund At The Stripe Dashboard    ${payment}    4000
    Payment Status Should Become    ${payment}    partially_refunded
    Payment Should Be Persisted As    ${payment}    amount_refunded=4000
    Refund At The Stripe Dashboard    ${payment}    6000
    Payment Status Should Become    ${payment}    refunded
    Payment Should Be Persisted As    ${payment}    amount_refunded=10000


*** Keywords ***
Stripe Event Shape Should Be Acknowledged
    [Documentation]    An `event_type` event in `shape` is 200, stored with `outcome`; the payment is `status`.
    [Arguments]    ${event_type}    ${shape}    ${outcome}    ${status}
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    ${event} =    Craft Stripe Event    ${payment}    ${event_type}    apply=${TRUE}    shape=${shape}
    ${result} =    Redeliver Event    stripe    ${event}
    Should Be Equal As Integers    ${result}[status]    200    ${result}
    Event Should Be Recorded With Outcome    stripe    ${event}    ${outcome}
    Payment Should Be Persisted As    ${payment}    status=${status}

Chargeback Closed As Should Leave The Payment
    [Documentation]    A chargeback Stripe closes as `outcome` leaves the payment `status` with `refunded` given back.
    [Arguments]    ${outcome}    ${status}    ${refunded}
    ${listing} =    Listing To Buy From    ${SELLER}    price_per_unit=${10000}
    ${payment} =    Pay And Settle With Stripe    ${BUYER}    ${listing}
    ${chargeback} =    Open Stripe Dispute For    ${payment}
    Payment Status Should Become    ${payment}    disputed
    Close Stripe Dispute    ${chargeback}    ${outcome}
    Payment Status Should Become    ${payment}    ${status}
    Payment Should Be Persisted As    ${payment}    amount_refunded=${refunded}
    Chargeback Should Be Closed As    ${chargeback}    chargeback_${outcome}
    Audit Should Record    dispute.chargeback_closed    ${payment}
    Payment History Should Be    ${payment}    pending    processing    succeeded    disputed    ${status}

Settled Stripe Payment
    [Documentation]    A fresh listing bought with a good card and settled by its webhook.
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Pay And Settle With Stripe    ${BUYER}    ${listing}
    RETURN    ${payment}

Stripe Webhook With Signature Should Be Refused
    [Documentation]    A succeeded event sent with a `signature` problem is 400 and changes nothing.
    [Arguments]    ${signature}
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    ${event} =    Craft Stripe Event    ${payment}    payment_intent.succeeded
    ${result} =    Redeliver Event    stripe    ${event}    ${signature}
    Should Be Equal As Integers    ${result}[status]    400
    Payment Should Be Persisted As    ${payment}    status=pending
    Webhook Events For Payment Should Be    ${payment}    payment_intent.succeeded    0

Flutterwave Webhook With Signature Should Be Refused
    [Documentation]    A charge.completed sent with a `signature` problem is 401 and changes nothing.
    [Arguments]    ${signature}
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN
    ${payment} =    Buy Listing    ${BUYER}    ${listing}
    Drop Webhooks For    flutterwave    ${payment}[id]    1
    Complete Checkout Without Return    ${payment}
    ${event} =    Gateway Event Of Type    flutterwave    ${payment}[id]    charge.completed
    ${result} =    Redeliver Event    flutterwave    ${event}[id]    ${signature}
    Should Be Equal As Integers    ${result}[status]    401
    Payment Should Be Persisted As    ${payment}    status=pending
    Webhook Events For Payment Should Be    ${payment}    charge.completed    0

Processing Should End In
    [Documentation]    A Stripe payment reported processing, then `event_type`, ends in `status` with
    ...    `available` units left on its listing.
    [Arguments]    ${event_type}    ${status}    ${available}
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    # Applied: Stripe's own intent moves with its events, as the API may read it back.
    ${processing} =    Craft Stripe Event    ${payment}    payment_intent.processing    apply=${TRUE}
    ${outcome} =    Craft Stripe Event    ${payment}    ${event_type}    apply=${TRUE}
    Deliver Events In Order    stripe    ${processing}    ${outcome}
    Payment Should Be Persisted As    ${payment}    status=${status}
    Payment History Should Be    ${payment}    pending    processing    ${status}
    Available Quantity Should Be    ${listing}    ${available}
