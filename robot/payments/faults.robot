*** Settings ***
Documentation     Gateway failures never lose money or leave half-made state.

Resource          ../../keywords/api.resource
Resource          ../../keywords/buyer_flows.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/purchases.resource
Resource          ../../keywords/sandbox_controls.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         payments    resilience    db    sandbox-only


*** Test Cases ***
Gateway Faults On Create Leave Nothing Half Made
    [Documentation]    500s, timeouts and refused connections fail cleanly, and the same key can retry.
    [Template]    Fault On Create Should Be Survived
    stripe    error    502    gateway_unavailable
    stripe    hang    504    gateway_timeout
    stripe    refuse    502    gateway_unavailable
    flutterwave    error    502    gateway_unavailable
    flutterwave    hang    504    gateway_timeout
    flutterwave    refuse    502    gateway_unavailable

Gateway Faults On Refund Leave Nothing Half Made
    [Documentation]    An unanswered Stripe refund may have been made: its amount stays held, a retry is refused.
    [Template]    Unanswered Refund Should Be Held
    stripe    error    502
    stripe    hang    504
    stripe    refuse    502

Flutterwave Refund Of Unknown Outcome Is Held
    [Documentation]    An unanswered Flutterwave refund may have been made: its amount stays held, a retry is refused.
    [Template]    Unanswered Refund Should Be Held
    flutterwave    error    502
    flutterwave    hang    504
    flutterwave    refuse    502

A Refund The Gateway Refused Is Failed And Can Be Asked Again
    [Documentation]    A clear refusal (a 4xx) proves nothing was made: nothing is booked or held, a retry works.
    [Template]    Refused Refund Should Be Failed
    stripe
    flutterwave

A Refund Whose Answer Was Lost Is Found And Booked Once
    [Documentation]    The gateway made the refund but its answer came too late: looked up at once, booked once.
    [Template]    Lost Refund Answer Should Be Found
    stripe
    flutterwave

A Checkout Made Before The Gateway Timed Out Still Sells When Paid
    [Documentation]    A timeout does not prove nothing happened: money paid on a link we gave up on is a sale.
    [Tags]    late-success
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN
    Inject Gateway Fault    flutterwave    late    ${listing}[id]
    ${response} =    Request Purchase    ${BUYER}    ${listing}    3    expected_status=504
    Problem Should Be    ${response}    504    gateway_timeout
    ${payment} =    Given Up Payment Should Still Be Watched    ${listing}
    Pay The Lost Checkout    ${payment}
    Payment Status Should Become    ${payment}    succeeded
    Payment History Should Be    ${payment}    pending    failed    succeeded
    Last Transition Cause Should Start With    ${payment}    event:
    Available Quantity Should Be    ${listing}    ${STOCK - 3}


*** Keywords ***
Fault On Create Should Be Survived
    [Documentation]    With a `mode` fault at `gateway`, buying is `status` `code`; nothing is reserved; a retry works.
    [Arguments]    ${gateway}    ${mode}    ${status}    ${code}
    ${currency} =    Set Variable If    $gateway == "stripe"    USD    NGN
    ${listing} =    Listing To Buy From    ${SELLER}    currency=${currency}
    Inject Gateway Fault    ${gateway}    ${mode}    ${listing}[id]
    VAR    ${key} =    fault-${{uuid.uuid4().hex}}
    ${response} =    Request Purchase    ${BUYER}    ${listing}    2    key=${key}
    ...    expected_status=${status}
    Problem Should Be    ${response}    ${status}    ${code}
    Nothing Should Be Reserved    ${listing}    failed
    Retry Should Reserve    ${listing}    ${key}

Refused Refund Should Be Failed
    [Documentation]    `gateway` answers a refund 400: 502 `gateway_rejected`, nothing booked or held, a retry works.
    [Arguments]    ${gateway}
    ${payment} =    Settled Payment Through    ${gateway}
    Make Gateway Answer    ${gateway}    400    ${payment}[id]
    ${response} =    Refund Payment    ${SELLER}    ${payment}    2500    expected_status=502
    Problem Should Be    ${response}    502    gateway_rejected
    Payment Should Be Persisted As    ${payment}    status=succeeded    amount_refunded=0
    ...    refund_pending=0
    Refund Rows Should Be    ${payment}    0    0
    Refund Payment    ${SELLER}    ${payment}    2500    expected_status=201
    Payment Should Be Persisted As    ${payment}    status=partially_refunded    amount_refunded=2500

Lost Refund Answer Should Be Found
    [Documentation]    `gateway` makes the refund and answers too late: it is found, booked once (201).
    [Arguments]    ${gateway}
    ${payment} =    Settled Payment Through    ${gateway}
    Inject Gateway Fault    ${gateway}    late    ${payment}[id]
    Refund Payment    ${SELLER}    ${payment}    2500    expected_status=201
    Payment Should Be Persisted As    ${payment}    status=partially_refunded    amount_refunded=2500
    ...    refund_pending=0
    Refund Rows Should Be    ${payment}    1    2500

Unanswered Refund Should Be Held
    [Documentation]    A `mode` fault on a `gateway` refund: `status`, the amount held, a retry refused.
    [Arguments]    ${gateway}    ${mode}    ${status}
    ${payment} =    Settled Payment Through    ${gateway}
    Inject Gateway Fault    ${gateway}    ${mode}    ${payment}[id]
    ${response} =    Refund Payment    ${SELLER}    ${payment}    2500    expected_status=${status}
    Problem Should Be    ${response}    ${status}    refund_outcome_unknown
    Payment Should Be Persisted As    ${payment}    status=succeeded    amount_refunded=0
    ...    refund_pending=2500
    Refund Rows Should Be    ${payment}    0    0
    ${again} =    Refund Payment    ${SELLER}    ${payment}    2500    expected_status=409
    Problem Should Be    ${again}    409    refund_outcome_pending

Settled Payment Through
    [Documentation]    A paid payment of 10000 minor units for one unit, through `gateway`.
    [Arguments]    ${gateway}
    IF    $gateway == "stripe"
        ${listing} =    Listing To Buy From    ${SELLER}    price_per_unit=${10000}
        ${payment} =    Pay And Settle With Stripe    ${BUYER}    ${listing}
    ELSE
        ${listing} =    Listing To Buy From    ${SELLER}    price_per_unit=${10000}    currency=NGN
        ${payment} =    Buy Listing With Flutterwave    ${BUYER}    ${listing}
        Complete Flutterwave Checkout    ${payment}
        Payment Status Should Become    ${payment}    succeeded
    END
    RETURN    ${payment}

Given Up Payment Should Still Be Watched
    [Documentation]    The one payment of `listing` failed and gave the goods back, but its checkout is still watched.
    [Arguments]    ${listing}
    ${payment} =    Only Payment Of Listing    ${listing}
    Payment Should Be Persisted As    ${payment}    status=failed    closed_at_gateway=false
    ...    provider_ref=${payment}[id]
    Available Quantity Should Be    ${listing}    ${STOCK}
    RETURN    ${payment}

Nothing Should Be Reserved
    [Documentation]    `listing` is untouched and its payments have exactly these statuses.
    [Arguments]    ${listing}    @{statuses}
    Available Quantity Should Be    ${listing}    ${STOCK}
    Payment Rows Should Be    ${listing}    @{statuses}

Retry Should Reserve
    [Documentation]    Retrying with the same `key` now works and reserves the quantity.
    [Arguments]    ${listing}    ${key}
    Request Purchase    ${BUYER}    ${listing}    2    key=${key}
    Payment Rows Should Be    ${listing}    failed    pending
    Available Quantity Should Be    ${listing}    ${STOCK - 2}
