<?php
// Sends an order confirmation with PHPMailer (Debian's libphp-phpmailer), the way a PHP app does.
// The SMTP server comes from MAILDOG_SMTP_HOST/PORT/TLS/USER/PASSWORD (set by maildog-ci).
// STARTTLS is required and the certificate verified with PHP's defaults (verify_peer and
// verify_peer_name): the sandbox's CA is trusted through the openssl.cafile setting the
// scenario passes (`php -d openssl.cafile=...`), not by turning verification off here.
// Usage: php send.php RECIPIENT     Exit codes: 0 sent, 1 not sent.
declare(strict_types=1);

require '/usr/share/php/libphp-phpmailer/autoload.php';

use PHPMailer\PHPMailer\Exception;
use PHPMailer\PHPMailer\PHPMailer;

$recipient = $argv[1] ?? null;
if ($recipient === null) {
    fwrite(STDERR, "usage: php send.php RECIPIENT\n");
    exit(1);
}

$mail = new PHPMailer(true); // true: errors are exceptions
try {
    $mail->isSMTP();
    $mail->Host = getenv('MAILDOG_SMTP_HOST');
    $mail->Port = (int) getenv('MAILDOG_SMTP_PORT');
    $mail->SMTPSecure = getenv('MAILDOG_SMTP_TLS') === 'implicit' ? PHPMailer::ENCRYPTION_SMTPS : PHPMailer::ENCRYPTION_STARTTLS;
    $mail->Hostname = 'shop.yourdomain.test'; // the EHLO name and the Message-ID's domain
    $user = getenv('MAILDOG_SMTP_USER');
    if ($user !== false && $user !== '') {
        $mail->SMTPAuth = true;
        $mail->Username = $user;
        $mail->Password = (string) getenv('MAILDOG_SMTP_PASSWORD');
    }
    $mail->setFrom('orders@yourdomain.test', 'Your Shop');
    $mail->addAddress($recipient);
    $mail->Subject = 'Your order is confirmed';
    $mail->Body = "Thank you for your order. We will write again when it ships.\n";
    $mail->send();
    echo "sent order confirmation to $recipient\n";
    exit(0);
} catch (Exception $e) {
    echo "not sent: {$mail->ErrorInfo}\n";
    exit(1);
}
