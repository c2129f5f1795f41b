*** Settings ***
Documentation     Paying with Stripe: the intent, the card, the webhook, the books.

Resource          ../../keywords/payments.resource
Resource          ../../keywords/listings.resource
Resource          ../../keywords/auth.resource

Suite Setup       Create Payments Cast
Suite Teardown    Disconnect From Api Database

Test Tags         payments    stripe    db


*** Test Cases ***
Stripe Payment Succeeds Through The Webhook
    [Documentation]    The sale is booked when Stripe's signed webhook says so, with the server's amount.
    [Tags]    smoke
    ${listing} =    Listing To Buy    price_per_unit=${250000}    quantity=10
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}    2.5
    Should Be Equal As Integers    ${payment}[amount]    625000
    Payment Should Be Persisted As    ${payment}    status=pending    amount=625000    currency=USD
    Available Quantity Should Be    ${listing}    7.5
    Pay With Test Card    ${BUYER}    ${payment}    expected_status=200
    Stripe Should Deliver    ${payment}    payment_intent.succeeded
    Payment Status Should Become    ${payment}    succeeded
    Payment History Should Be    ${payment}    pending    processing    succeeded
    Available Quantity Should Be    ${listing}    7.5

Declined Cards Fail The Payment And Release The Reservation
    [Documentation]    Each Stripe test decline shows its codes to the buyer and gives the goods back.
    [Tags]    declines
    [Template]    Declined Card Should Fail The Payment
    pm_card_visa_chargeDeclined    card_declined    generic_decline
    pm_card_chargeDeclinedInsufficientFunds    card_declined    insufficient_funds
    pm_card_chargeDeclinedExpiredCard    expired_card    expired_card
    pm_card_chargeDeclinedIncorrectCvc    incorrect_cvc    incorrect_cvc
    pm_card_chargeDeclinedProcessingError    processing_error    processing_error

A Retry With A Good Card Succeeds After A Decline
    [Documentation]    A declined buyer must be able to pay at once with another card.
    ${listing} =    Listing To Buy
    ${declined} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    Pay With Test Card    ${BUYER}    ${declined}    pm_card_chargeDeclined    expected_status=402
    Payment Should Be Persisted As    ${declined}    status=failed
    ${retry} =    Pay And Settle With Stripe    ${BUYER}    ${listing}
    Payment History Should Be    ${retry}    pending    processing    succeeded
    Available Quantity Should Be    ${listing}    9

The Amount Comes From The Listing, Never The Client
    [Documentation]    A client that sends its own amount is refused; the price is the server's to compute.
    [Tags]    security    validation
    ${listing} =    Listing To Buy
    ${response} =    Request Purchase    ${BUYER}    ${listing}    1    amount=${1}
    Problem Should Be    ${response}    422    validation_error
    Payments For Listing Should Be    ${listing}    0
    Available Quantity Should Be    ${listing}    10

Sellers Cannot Buy Their Own Listing
    [Documentation]    Self-dealing would fake sales volume.
    [Tags]    security    authorization
    ${listing} =    Listing To Buy
    ${response} =    Request Purchase    ${SELLER}    ${listing}
    Problem Should Be    ${response}    403
    Payments For Listing Should Be    ${listing}    0

Other Buyers Cannot See A Payment
    [Documentation]    A payment is visible to its buyer, its seller and admins only.
    [Tags]    security    authorization
    ${listing} =    Listing To Buy
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    ${stranger} =    Register Verified Buyer
    ${response} =    Read Payment As    ${stranger}    ${payment}
    Problem Should Be    ${response}    404    payment_not_found
    Read Payment As    ${SELLER}    ${payment}    expected_status=200
    Read Payment As    ${ADMIN}    ${payment}    expected_status=200

Only Active Listings Can Be Bought
    [Documentation]    A listing awaiting review is not for sale.
    ${listing} =    Create Listing As    ${SELLER}
    ${response} =    Request Purchase    ${BUYER}    ${listing}
    Problem Should Be    ${response}    409    listing_not_available
    Payments For Listing Should Be    ${listing}    0


*** Keywords ***
Declined Card Should Fail The Payment
    [Documentation]    Paying with `card` is 402 with `code` and `decline_code`, the payment failed, goods back.
    [Arguments]    ${card}    ${code}    ${decline_code}
    ${listing} =    Listing To Buy
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}    3
    Available Quantity Should Be    ${listing}    7
    ${response} =    Pay With Test Card    ${BUYER}    ${payment}    ${card}
    ${problem} =    Problem Should Be    ${response}    402    card_declined
    Should Be Equal    ${problem}[gateway_code]    ${code}
    Should Be Equal    ${problem}[decline_code]    ${decline_code}
    Payment Should Be Persisted As    ${payment}    status=failed    failure_code=${code}
    ...    decline_code=${decline_code}    reserved=false
    Available Quantity Should Be    ${listing}    10
    No Sale Emails Should Be Sent    ${payment}
