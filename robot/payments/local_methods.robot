*** Settings ***
Documentation     How Africa pays: mobile money, bank transfer and USSD through Flutterwave's direct charges.
...               The customer acts away from us (a phone prompt, a transfer, a dialled code); only a
...               verified transaction sells, and money that does not match goes back.

Resource          ../../keywords/api.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/direct_charges.resource
Resource          ../../keywords/invariants.resource
Resource          ../../keywords/purchases.resource
Resource          ../../keywords/reconciliation.resource
Resource          ../../keywords/sandbox_controls.resource
Resource          ../../keywords/webhooks.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         payments    flutterwave    local-methods    db


*** Test Cases ***
M-Pesa Sells When The Buyer Approves On The Phone
    [Documentation]    The Kenyan buyer's way to pay: the prompt goes to the phone, the webhook and verify sell.
    [Tags]    smoke    sandbox-only
    ${listing} =    Listing To Buy From    ${SELLER}    currency=KES
    ${payment} =    Buy With Mobile Money    ${BUYER}    ${listing}    KES    +254709929220
    ${told} =    Instruction Should Be    ${payment}    approve_on_phone
    Should Be Equal    ${told}[phone_number]    +254709929220
    Available Quantity Should Be    ${listing}    ${STOCK - 1}
    Approve On The Phone    ${payment}
    Payment Status Should Become    ${payment}    succeeded
    Flutterwave Should Deliver    ${payment}
    Sale Emails Should Arrive Once    ${BUYER}    ${SELLER}    ${payment}
    Available Quantity Should Be    ${listing}    ${STOCK - 1}

Mobile Money Sells In Every Currency That Has It
    [Documentation]    Each network's charge is its own request shape; every one must end in a verified sale.
    [Tags]    sandbox-only
    [Template]    Mobile Money Should Sell When Approved
    GHS
    UGX
    RWF
    ZMW
    TZS
    XOF
    XAF

A Declined Payment Keeps The Order Open Until Its Window Ends
    [Documentation]    A no on the phone is not the end: the stock stays held for the buyer until the order ends.
    [Tags]    sandbox-only
    [Template]    A Declined Payment Should Hold The Order Until It Ends
    UGX    mobile_money
    NGN    ussd

Abandoned Orders End With Their Window
    [Documentation]    A buyer who never approves, transfers or dials must not hold the goods past the window.
    [Tags]    sandbox-only
    [Template]    An Abandoned Order Should End With Its Window
    KES    mobile_money
    NGN    bank_transfer
    NGN    ussd

Every Method Pays A Converted Order At The Recorded Rate
    [Documentation]    A USD listing is paid in the buyer's currency whichever way they pay, at the rate kept.
    [Tags]    sandbox-only    conversion
    [Template]    A Converted Order Should Be Paid At The Recorded Rate
    KES    mobile_money    129
    NGN    bank_transfer    1550
    NGN    ussd    1550

An Unanswered Prompt Holds The Stock For The Prompt's Window Only
    [Documentation]    A phone nobody answers must not hold the goods for the whole reservation.
    [Tags]    sandbox-only
    ${listing} =    Listing To Buy From    ${SELLER}    currency=RWF    price_per_unit=${250000}
    ${payment} =    Buy With Mobile Money    ${BUYER}    ${listing}    RWF    +250709929220    AIRTEL
    # Ten minutes from the charge, which is sent a moment after the order is booked.
    Payment Window Should End Within    ${payment}    10 minutes 30 seconds
    Let The Prompt Time Out    ${payment}
    Payment Status Should Become    ${payment}    requires_payment_method
    Expire Through Reconciliation    ${ADMIN}    ${payment}    requires_payment_method
    Available Quantity Should Be    ${listing}    ${STOCK}

A Mobile Money Webhook That Never Comes Is Settled By Reconciliation
    [Documentation]    Mobile money is asynchronous; a lost webhook must not leave a paid order unsold.
    [Tags]    sandbox-only    reconciliation
    ${listing} =    Listing To Buy From    ${SELLER}    currency=KES
    ${payment} =    Buy With Mobile Money    ${BUYER}    ${listing}    KES    +254709929220
    Approve On The Phone    ${payment}    deliver=${FALSE}
    Payment Should Be Persisted As    ${payment}    status=requires_action
    Reconciliation Should Move    ${ADMIN}    ${payment}    requires_action    succeeded
    Payment Should Be Persisted As    ${payment}    reserved=true

A Bank Transfer Of The Exact Amount Sells
    [Documentation]    Nigerian buyers pay by transfer to a one-time account; the exact amount buys the goods.
    [Tags]    smoke    sandbox-only    bank-transfer
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN    price_per_unit=${150000}
    ${payment} =    Buy With Bank Transfer    ${BUYER}    ${listing}    2
    ${told} =    Instruction Should Be    ${payment}    bank_transfer
    Should Match Regexp    ${told}[account_number]    ^[0-9]{10}$
    Should Be Equal As Numbers    ${told}[amount]    3000
    Transfer To The Account    ${payment}    ${told}[amount]
    Payment Status Should Become    ${payment}    succeeded
    Receipts Should Be    ${payment}
    Flutterwave Should Hold What We Booked    ${payment}

A Short Transfer Goes Back And The Right One Still Sells
    [Documentation]    Too little does not buy the goods; the buyer gets it back and may still pay in full.
    [Tags]    sandbox-only    bank-transfer    money-mismatch
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN    price_per_unit=${150000}
    ${payment} =    Buy With Bank Transfer    ${BUYER}    ${listing}
    Transfer To The Account    ${payment}    900.00
    Receipts Should Become    ${BUYER}    ${payment}    short:90000:refunded
    Payment Should Be Persisted As    ${payment}    status=requires_action    reserved=true
    ...    failure_code=transfer_short
    Transfer To The Account    ${payment}    1500.00
    Payment Status Should Become    ${payment}    succeeded
    Receipts Should Be    ${payment}    short:90000:refunded
    Flutterwave Should Hold What We Booked    ${payment}

An Over Transfer Sells And The Excess Goes Back
    [Documentation]    Flutterwave's rule: give value for at least the amount due and refund the rest.
    [Tags]    sandbox-only    bank-transfer    money-mismatch
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN    price_per_unit=${150000}
    ${payment} =    Buy With Bank Transfer    ${BUYER}    ${listing}
    Transfer To The Account    ${payment}    2000.00
    Payment Status Should Become    ${payment}    succeeded
    Receipts Should Become    ${BUYER}    ${payment}    excess:50000:refunded
    Payment Should Be Persisted As    ${payment}    amount=150000    amount_refunded=0
    Flutterwave Should Hold What We Booked    ${payment}

A Second Transfer Goes Back In Full
    [Documentation]    Paying twice must not cost the buyer twice.
    [Tags]    sandbox-only    bank-transfer    money-mismatch
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN    price_per_unit=${150000}
    ${payment} =    Buy With Bank Transfer    ${BUYER}    ${listing}
    Transfer To The Account    ${payment}    1500.00
    Payment Status Should Become    ${payment}    succeeded
    Transfer To The Account    ${payment}    1500.00
    Receipts Should Become    ${BUYER}    ${payment}    duplicate:150000:refunded
    Payment Should Be Persisted As    ${payment}    status=succeeded    amount_refunded=0
    Flutterwave Should Hold What We Booked    ${payment}

A Transfer After The Order Ended Is A Late Success
    [Documentation]    Money that arrives after the order lapsed buys the goods if they are still there.
    [Tags]    sandbox-only    bank-transfer    late-success
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN    price_per_unit=${150000}
    ${payment} =    Buy With Bank Transfer    ${BUYER}    ${listing}
    Expire Through Reconciliation    ${ADMIN}    ${payment}    requires_action
    Available Quantity Should Be    ${listing}    ${STOCK}
    Transfer To The Account    ${payment}    1500.00
    Payment Status Should Become    ${payment}    succeeded
    Payment Should Be Persisted As    ${payment}    reserved=true    refund_due_reason=None
    Available Quantity Should Be    ${listing}    ${STOCK - 1}
    Flutterwave Should Hold What We Booked    ${payment}

USSD Sells When The Buyer Dials The Code
    [Documentation]    Buyers without a card or a banking app pay by dialling a code their bank gives.
    [Tags]    smoke    sandbox-only
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN    price_per_unit=${150000}
    ${payment} =    Buy With USSD    ${BUYER}    ${listing}    058
    ${told} =    Instruction Should Be    ${payment}    dial_ussd
    Should Match Regexp    ${told}[code]    ^\\*[0-9*]+#$
    Should Be Equal    ${told}[bank]    058
    Approve On The Phone    ${payment}
    Payment Status Should Become    ${payment}    succeeded
    Sale Emails Should Arrive Once    ${BUYER}    ${SELLER}    ${payment}

Each Currency Allows Its Own Methods
    [Documentation]    A method the currency cannot use is refused with the ones it can, before anything is held.
    [Tags]    validation
    [Template]    Paying By Method Should Be
    NGN    bank_transfer    allowed    ${EMPTY}
    NGN    ussd    allowed    ${EMPTY}
    KES    mobile_money    allowed    ${EMPTY}
    XOF    mobile_money    allowed    ${EMPTY}
    NGN    mobile_money    refused    card,bank_transfer,ussd
    KES    bank_transfer    refused    card,mobile_money
    GHS    ussd    refused    card,mobile_money
    ZAR    mobile_money    refused    card
    USD    bank_transfer    refused    card

Unusable Payer Details Are Refused Before Anything Is Reserved
    [Documentation]    A wrong number or network would send the prompt nowhere; it must be a clear 422.
    [Tags]    validation
    [Template]    Payer Details Should Be Refused
    KES    mobile_money    phone_number    phone_number=+233547099292
    KES    mobile_money    phone_number    phone_number=0709929220
    GHS    mobile_money    network    phone_number=+233547099292
    GHS    mobile_money    network    phone_number=+233547099292    network=SAFARICOM
    NGN    ussd    bank    bank=999
    NGN    bank_transfer    bank    bank=058


*** Keywords ***
A Declined Payment Should Hold The Order Until It Ends
    [Documentation]    A `currency` order paid by `method` whose customer declines stays open, stock held, until
    ...    its window ends; then the goods go back.
    [Arguments]    ${currency}    ${method}
    ${listing}    ${payment} =    Order Paid By    ${currency}    ${method}
    Decline On The Phone    ${payment}
    Payment Status Should Become    ${payment}    requires_payment_method
    Payment Should Be Persisted As    ${payment}    reserved=true    failure_code=flutterwave_failed
    Available Quantity Should Be    ${listing}    ${STOCK - 1}
    Expire Through Reconciliation    ${ADMIN}    ${payment}    requires_payment_method
    Payment Should Be Persisted As    ${payment}    status=canceled    reserved=false
    Available Quantity Should Be    ${listing}    ${STOCK}

An Abandoned Order Should End With Its Window
    [Documentation]    A `currency` order paid by `method` that the customer never completes ends with its window,
    ...    the goods back and nothing kept at Flutterwave.
    [Arguments]    ${currency}    ${method}
    ${listing}    ${payment} =    Order Paid By    ${currency}    ${method}
    Available Quantity Should Be    ${listing}    ${STOCK - 1}
    Expire Through Reconciliation    ${ADMIN}    ${payment}    requires_action
    Payment Should Be Persisted As    ${payment}    status=canceled    reserved=false
    Available Quantity Should Be    ${listing}    ${STOCK}
    Flutterwave Should Hold What We Booked    ${payment}

A Converted Order Should Be Paid At The Recorded Rate
    [Documentation]    A USD listing of 1,000.00 paid in `currency` by `method` costs 1,000 x `rate`, keeps the
    ...    rate, and sells once the customer pays.
    [Arguments]    ${currency}    ${method}    ${rate}
    ${_}    ${payment} =    Order Paid By    ${currency}    ${method}    listing_currency=USD
    ...    price_per_unit=${100000}
    ${expected} =    Evaluate    100000 * int($rate)
    Should Be Equal As Integers    ${payment}[amount]    ${expected}
    Payment Should Be Persisted As    ${payment}    currency=${currency}    listing_currency=USD
    ...    fx_rate=${rate}.0000000000    fx_source=flutterwave:/v3/transfers/rates
    Customer Should Pay    ${payment}    ${method}
    Payment Status Should Become    ${payment}    succeeded

Order Paid By
    [Documentation]    A listing (in `listing_currency`, default `currency`, fields overridden) and a one-unit order
    ...    of it in `currency` by `method`, awaiting the customer; returns both.
    [Arguments]    ${currency}    ${method}    ${listing_currency}=${NONE}    &{fields}
    ${priced_in} =    Set Variable If    $listing_currency    ${listing_currency}    ${currency}
    ${listing} =    Listing To Buy From    ${SELLER}    currency=${priced_in}    price_per_unit=${250000}
    ...    &{fields}
    IF    $method == "mobile_money"
        ${phone}    ${network} =    Mobile Money Payer Of    ${currency}
        ${network} =    Set Variable If    $network    ${network}    ${NONE}
        ${payment} =    Buy With Mobile Money    ${BUYER}    ${listing}    ${currency}    ${phone}    ${network}
    ELSE IF    $method == "bank_transfer"
        ${payment} =    Buy Listing    ${BUYER}    ${listing}    1    provider=flutterwave
        ...    currency=${currency}    method=bank_transfer
    ELSE IF    $method == "ussd"
        ${payment} =    Buy Listing    ${BUYER}    ${listing}    1    provider=flutterwave
        ...    currency=${currency}    method=ussd    bank=058
    ELSE
        Fail    The method is mobile_money, bank_transfer or ussd, not '${method}'
    END
    Should Be Equal    ${payment}[status]    requires_action
    RETURN    ${listing}    ${payment}

Customer Should Pay
    [Documentation]    The customer completes `payment` the way `method` asks: approves, transfers or dials.
    [Arguments]    ${payment}    ${method}
    IF    $method == "bank_transfer"
        Transfer To The Account    ${payment}    ${payment}[flutterwave][next_action][amount]
    ELSE IF    $method in ("mobile_money", "ussd")
        Approve On The Phone    ${payment}
    ELSE
        Fail    The method is mobile_money, bank_transfer or ussd, not '${method}'
    END

Mobile Money Should Sell When Approved
    [Documentation]    A `currency` listing paid by mobile money from a number of its country sells once approved.
    [Arguments]    ${currency}
    ${listing} =    Listing To Buy From    ${SELLER}    currency=${currency}    price_per_unit=${250000}
    ${phone}    ${network} =    Mobile Money Payer Of    ${currency}
    ${network} =    Set Variable If    $network    ${network}    ${NONE}
    ${payment} =    Buy With Mobile Money    ${BUYER}    ${listing}    ${currency}    ${phone}    ${network}
    Instruction Should Be    ${payment}    approve_on_phone
    Approve On The Phone    ${payment}
    Payment Status Should Become    ${payment}    succeeded
    Available Quantity Should Be    ${listing}    ${STOCK - 1}

Payment Window Should End Within
    [Documentation]    The reservation of `payment` ends at most `window` (a PostgreSQL interval) after it began.
    [Arguments]    ${payment}    ${window}
    Row Count Should Be    1
    ...    SELECT count(*) FROM payments WHERE id = %s AND expires_at <= created_at + %s::interval
    ...    ${payment}[id]    ${window}

Flutterwave Should Hold What We Booked
    [Documentation]    Flutterwave's transactions for `payment` hold what our books say: the payment's transaction,
    ...    and every receipt taken and given back (the marketplace's books check, for one payment).
    [Arguments]    ${payment}
    Books Should Equal The Gateways    ${payment}[id]

Payer Details Should Be Refused
    [Documentation]    Paying in `currency` by `method` with `details` is a 422 naming `field`; nothing is reserved.
    [Arguments]    ${currency}    ${method}    ${field}    &{details}
    ${listing} =    Listing To Buy From    ${SELLER}    currency=${currency}
    ${response} =    Request Purchase    ${BUYER}    ${listing}    provider=flutterwave    currency=${currency}
    ...    method=${method}    &{details}    expected_status=422
    ${problem} =    Problem Should Be    ${response}    422    validation_error
    Problem Should Name Field    ${problem}    ${field}
    Payments For Listing Should Be    ${listing}    0
    Available Quantity Should Be    ${listing}    ${STOCK}
