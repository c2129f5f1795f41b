*** Settings ***
Documentation     Paying with Flutterwave: the hosted checkout, verification before value, conversion.

Resource          ../../keywords/api.resource
Resource          ../../keywords/buyer_flows.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/purchases.resource
Resource          ../../keywords/sandbox_controls.resource
Resource          ../../keywords/webhooks.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         payments    flutterwave    db


*** Test Cases ***
Flutterwave Checkout Succeeds After Verification
    [Documentation]    African-currency listings go to Flutterwave, and value follows a verified webhook.
    [Tags]    smoke
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN    price_per_unit=${150050}
    ${payment} =    Buy Listing    ${BUYER}    ${listing}    2
    Should Be Equal    ${payment}[provider]    flutterwave
    Payment Should Be Persisted As    ${payment}    status=pending    amount=300100    currency=NGN
    ${checkout} =    Complete Flutterwave Checkout    ${payment}    successful
    Payment Status Should Become    ${payment}    succeeded
    Payment Should Be Persisted As    ${payment}    provider_txn_id=${checkout}[transaction_id]
    Flutterwave Should Deliver    ${payment}
    Available Quantity Should Be    ${listing}    ${STOCK - 2}

A Failed Attempt Then A Success In The Same Checkout Sells
    [Documentation]    The hosted page lets the buyer retry after a failed card; that retry must end in a sale.
    [Tags]    sandbox-only
    ${listing} =    Listing To Buy From    ${SELLER}    currency=KES
    ${payment} =    Buy Listing    ${BUYER}    ${listing}    4
    Fail A Card On The Hosted Page    ${payment}
    Payment Should Be Persisted As    ${payment}    status=requires_payment_method
    ...    failure_code=flutterwave_failed    failure_message=Declined    reserved=true
    Complete Flutterwave Checkout    ${payment}    successful
    Payment Status Should Become    ${payment}    succeeded
    Payment History Should Be    ${payment}    pending    requires_payment_method    succeeded
    Available Quantity Should Be    ${listing}    ${STOCK - 4}
    Sale Emails Should Arrive Once    ${BUYER}    ${SELLER}    ${payment}

A Success After A Cancelled Return Still Sells
    [Documentation]    The link stays payable after the buyer came back cancelled; money paid there must become a sale.
    [Tags]    sandbox-only    late-success
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN
    ${payment} =    Buy Listing    ${BUYER}    ${listing}    3
    Return Cancelled From The Hosted Page    ${payment}
    Available Quantity Should Be    ${listing}    ${STOCK - 3}
    Complete Checkout Without Return    ${payment}    successful
    Payment Status Should Become    ${payment}    succeeded
    Payment Should Be Persisted As    ${payment}    reserved=true    refund_due_reason=None
    Last Transition Cause Should Start With    ${payment}    event:
    Available Quantity Should Be    ${listing}    ${STOCK - 3}
    Sale Emails Should Arrive Once    ${BUYER}    ${SELLER}    ${payment}

A Late Success When The Stock Is Gone Is Refunded In Full
    [Documentation]    Money for goods already sold to someone else goes straight back, audited, with an email.
    [Tags]    sandbox-only    late-success
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN    quantity=3
    ${payment} =    Buy Listing    ${BUYER}    ${listing}    3
    Walk Away From The Hosted Page    ${BUYER}    ${payment}
    Sold Again To Another Buyer    ${listing}    3
    Complete Checkout Without Return    ${payment}    successful
    Payment Status Should Become    ${payment}    refunded
    Late Success Should Be Refunded In Full    ${BUYER}    ${payment}
    Available Quantity Should Be    ${listing}    0

A Cancelled Return Changes Nothing Until The Buyer Cancels
    [Documentation]    The return address is public and unsigned: only the signed-in buyer may end the order.
    [Tags]    security
    ${listing} =    Listing To Buy From    ${SELLER}    currency=GHS
    ${payment} =    Buy Listing    ${BUYER}    ${listing}    4
    Return Cancelled From The Hosted Page    ${payment}
    Available Quantity Should Be    ${listing}    ${STOCK - 4}
    Cancel Payment    ${BUYER}    ${payment}    expected_status=200
    Payment Status Should Become    ${payment}    canceled
    Last Transition Cause Should Start With    ${payment}    api:cancel
    Available Quantity Should Be    ${listing}    ${STOCK}

A Verification That Disagrees Gives No Value
    [Documentation]    A webhook is only a hint: Flutterwave's verify answer must match amount and currency.
    [Tags]    security    sandbox-only
    [Template]    Disagreeing Verification Should Give No Value
    amount=${1}
    currency=USD

A Webhook Claiming Another Amount Or Currency Is Only A Hint
    [Documentation]    The webhook body is not trusted: the verified transaction decides, and it matches the payment.
    [Tags]    security    sandbox-only
    [Template]    Webhook With Wrong Figures Should Not Change The Verified Result
    amount=${1}
    currency=USD

A USD Listing Can Be Paid In Naira
    [Documentation]    Buyers pay in their currency at the gateway's rate, which the payment records.
    [Tags]    conversion
    ${listing} =    Listing To Buy From    ${SELLER}    currency=USD    price_per_unit=${100000}
    ${payment} =    Buy Listing    ${BUYER}    ${listing}    1    currency=NGN
    Should Be Equal    ${payment}[provider]    flutterwave
    Should Be Equal As Integers    ${payment}[listing_amount]    100000
    Should Be Equal As Integers    ${payment}[amount]    155000000
    Should Be Equal    ${payment}[conversion][rate]    1550
    Payment Should Be Persisted As    ${payment}    currency=NGN    listing_currency=USD
    ...    fx_rate=1550.0000000000    fx_source=flutterwave:/v3/transfers/rates
    Complete Flutterwave Checkout    ${payment}    successful
    Payment Status Should Become    ${payment}    succeeded

A Currency Without A Rate Cannot Pay
    [Documentation]    When Flutterwave quotes no rate for the pair the buyer is told so, and nothing is reserved.
    [Tags]    conversion
    ${listing} =    Listing To Buy From    ${SELLER}    currency=USD
    ${response} =    Request Purchase    ${BUYER}    ${listing}    1    currency=ZMW    expected_status=422
    Problem Should Be    ${response}    422    currency_not_convertible
    Payments For Listing Should Be    ${listing}    0
    Available Quantity Should Be    ${listing}    ${STOCK}

An Order Worth Nothing After Conversion Is Refused
    [Documentation]    Conversion can round a tiny order down to zero: nobody is asked to pay nothing.
    [Tags]    conversion
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN    price_per_unit=${1}
    ${response} =    Request Purchase    ${BUYER}    ${listing}    1    currency=USD    expected_status=422
    Problem Should Be    ${response}    422    amount_not_accepted
    Payments For Listing Should Be    ${listing}    0
    Available Quantity Should Be    ${listing}    ${STOCK}

A Converted Payment Verified At Another Amount Gives No Value
    [Documentation]    The converted amount is what the gateway must confirm, not the listing's.
    [Tags]    conversion    security    sandbox-only
    ${listing} =    Listing To Buy From    ${SELLER}    currency=USD    price_per_unit=${100000}
    ${payment} =    Buy Listing    ${BUYER}    ${listing}    1    currency=NGN
    Pause Webhooks For    flutterwave    ${payment}[id]
    ${checkout} =    Complete Checkout Without Return    ${payment}
    Override Flutterwave Verification    ${checkout}[transaction_id]    amount=${1000}
    Resume Webhooks For    flutterwave    ${payment}[id]
    Webhook Outcome Should Be    ${payment}    amount_mismatch
    Payment Should Be Persisted As    ${payment}    status=pending    provider_txn_id=None


*** Keywords ***
Webhook With Wrong Figures Should Not Change The Verified Result
    [Documentation]    A crafted webhook carries `values`; verification still reads the real transaction.
    [Arguments]    &{values}
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN
    ${payment} =    Buy Listing    ${BUYER}    ${listing}    1
    Pause Webhooks For    flutterwave    ${payment}[id]
    Complete Checkout Without Return    ${payment}
    ${event} =    Craft Flutterwave Event    ${payment}    &{values}
    ${result} =    Redeliver Event    flutterwave    ${event}
    Should Be Equal As Integers    ${result}[status]    200
    Payment Should Be Persisted As    ${payment}    status=succeeded    reserved=true
    Available Quantity Should Be    ${listing}    ${STOCK - 1}

Disagreeing Verification Should Give No Value
    [Documentation]    The verify endpoint reports `values`; the webhook is recorded and nothing is paid.
    [Arguments]    &{values}
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN
    ${payment} =    Buy Listing    ${BUYER}    ${listing}    1
    Pause Webhooks For    flutterwave    ${payment}[id]
    ${checkout} =    Complete Checkout Without Return    ${payment}
    Override Flutterwave Verification    ${checkout}[transaction_id]    &{values}
    Resume Webhooks For    flutterwave    ${payment}[id]
    Webhook Outcome Should Be    ${payment}    amount_mismatch
    Payment Should Be Persisted As    ${payment}    status=pending
    Available Quantity Should Be    ${listing}    ${STOCK - 1}
    No Sale Emails Should Be Sent    ${payment}
