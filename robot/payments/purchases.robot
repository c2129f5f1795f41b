*** Settings ***
Documentation     Idempotent purchases and an inventory that two buyers can never oversell.

Resource          ../../keywords/api.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/purchases.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         payments    db


*** Test Cases ***
The Same Key And Body Return The First Answer
    [Documentation]    A client retrying after a network error must not pay twice.
    [Tags]    idempotency
    ${listing} =    Listing To Buy From    ${SELLER}
    ${first} =    Request Purchase    ${BUYER}    ${listing}    1    key=again-${listing}[id]
    ${again} =    Request Purchase    ${BUYER}    ${listing}    1    key=again-${listing}[id]
    Should Be Equal As Integers    ${again.status_code}    201
    Should Be Equal    ${again.json()}[id]    ${first.json()}[id]
    Should Be Equal    ${again.headers}[Idempotent-Replayed]    true
    Payments For Listing Should Be    ${listing}    1
    Available Quantity Should Be    ${listing}    ${STOCK - 1}

The Same Key With Another Body Is Refused
    [Documentation]    Reusing a key for a different purchase is a client bug, not a new order.
    [Tags]    idempotency
    ${listing} =    Listing To Buy From    ${SELLER}
    Request Purchase    ${BUYER}    ${listing}    1    key=other-${listing}[id]
    ${response} =    Request Purchase    ${BUYER}    ${listing}    2    key=other-${listing}[id]
    ...    expected_status=422
    Problem Should Be    ${response}    422    idempotency_key_reused
    Payments For Listing Should Be    ${listing}    1
    Available Quantity Should Be    ${listing}    ${STOCK - 1}

Concurrent Requests With One Key Make One Payment
    [Documentation]    A double-click must never become two payments.
    [Tags]    idempotency    concurrency
    ${listing} =    Listing To Buy From    ${SELLER}
    ${statuses} =    Same Purchase Sent Concurrently    ${BUYER}    ${listing}    5
    Should Contain    ${statuses}    ${201}
    Should Not Contain Any    ${statuses}    ${500}    ${502}    ${422}
    Payments For Listing Should Be    ${listing}    1
    Available Quantity Should Be    ${listing}    ${STOCK - 1}

A Purchase Needs An Idempotency Key
    [Documentation]    Without a key a retry could not be told from a new order.
    [Tags]    idempotency    validation
    ${listing} =    Listing To Buy From    ${SELLER}
    ${response} =    Purchase Without Idempotency Key    ${BUYER}    ${listing}    expected_status=400
    Problem Should Be    ${response}    400    idempotency_key_required
    Payments For Listing Should Be    ${listing}    0

Two Buyers Cannot Take The Last Tonne
    [Documentation]    The row lock decides: one buyer gets the last unit, the others a clear 409.
    [Tags]    inventory    concurrency
    ${listing} =    Listing To Buy From    ${SELLER}    quantity=1
    ${others} =    Register Verified Buyer
    ${third} =    Register Verified Buyer
    VAR    @{buyers} =    ${BUYER}    ${others}    ${third}
    ${statuses} =    Purchases Sent Together By    ${buyers}    ${listing}    1
    Should Be Equal    ${statuses}    ${{[201, 409, 409]}}
    Payments For Listing Should Be    ${listing}    1
    Available Quantity Should Be    ${listing}    0

Buying More Than Is Available Is Refused
    [Documentation]    Nobody can buy what is not there.
    [Tags]    inventory
    ${listing} =    Listing To Buy From    ${SELLER}    quantity=5
    ${response} =    Request Purchase    ${BUYER}    ${listing}    5.001    expected_status=409
    Problem Should Be    ${response}    409    insufficient_quantity
    Available Quantity Should Be    ${listing}    5

Cancelling Releases The Reservation
    [Documentation]    An abandoned order must not hold stock hostage.
    [Tags]    inventory
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}    4
    Available Quantity Should Be    ${listing}    ${STOCK - 4}
    Cancel Payment    ${BUYER}    ${payment}    expected_status=200
    Payment Should Be Persisted As    ${payment}    status=canceled    reserved=false
    Available Quantity Should Be    ${listing}    ${STOCK}
    ${again} =    Cancel Payment    ${BUYER}    ${payment}    expected_status=409
    Problem Should Be    ${again}    409    payment_not_cancelable

A Paid Payment Cannot Be Cancelled
    [Documentation]    Once money moved, only a refund undoes it.
    [Tags]    inventory
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Pay And Settle With Stripe    ${BUYER}    ${listing}
    ${response} =    Cancel Payment    ${BUYER}    ${payment}    expected_status=409
    Problem Should Be    ${response}    409    payment_not_cancelable
    Payment Should Be Persisted As    ${payment}    status=succeeded
    Available Quantity Should Be    ${listing}    ${STOCK - 1}

Invalid Purchases Are Refused And Change Nothing
    [Documentation]    Bad purchase bodies are 422 per field and reserve nothing.
    [Tags]    validation
    [Template]    Invalid Purchase Should Change Nothing
    quantity    0
    quantity    -1
    quantity    abc
    quantity    1.0001
    quantity    ${1000000000000.5}
    provider    paypal
    currency    XYZ
    price    1


*** Keywords ***
Invalid Purchase Should Change Nothing
    [Documentation]    The cast's `BUYER` buying with `field` set to `value` gets 422 naming it; nothing is reserved.
    [Arguments]    ${field}    ${value}
    ${listing} =    Listing To Buy From    ${SELLER}
    IF    $field == "quantity"
        ${response} =    Request Purchase    ${BUYER}    ${listing}    ${value}    expected_status=422
    ELSE
        ${response} =    Request Purchase    ${BUYER}    ${listing}    1    ${field}=${value}
        ...    expected_status=422
    END
    ${problem} =    Problem Should Be    ${response}    422    validation_error
    Problem Should Name Field    ${problem}    ${field}
    Payments For Listing Should Be    ${listing}    0
    Available Quantity Should Be    ${listing}    ${STOCK}
