// The demo site's three articles (fictional), rendered into client/demo.html: each has its own canonical
// link, section, author and readers span, and links to the others, so the live view of the `demo` site
// shows readers per article, and following a link shows an internal source.

export interface DemoArticle {
  /** Where the server serves it, also its canonical link. */
  path: string;
  title: string;
  section: string;
  crumbs: string;
  author: string;
  time: string;
  /** Trusted HTML: the lead and the paragraphs. */
  body: string;
}

const paragraphs = (sapo: string, ...rest: string[]) =>
  [`      <p class="sapo">${sapo}</p>`, ...rest.map((text) => (text.startsWith('<') ? text : `      <p>${text}</p>`))].join('\n');

export const DEMO_ARTICLES: readonly DemoArticle[] = [
  {
    path: '/',
    title: 'Phố đi bộ ven sông mở cửa đến nửa đêm mỗi cuối tuần',
    section: 'Đời sống',
    crumbs: 'Đời sống › Đô thị',
    author: 'Minh Anh',
    time: '07:45, 28/11/2026',
    body: paragraphs(
      'Từ tối thứ Sáu tuần này, tuyến phố ven sông dài gần một cây số sẽ cấm xe từ 18 giờ đến 24 giờ, dành chỗ cho người đi bộ, quầy ẩm thực và các nhóm nghệ sĩ đường phố.',
      'Theo phương án của thành phố, các phương tiện sẽ được hướng dẫn đi vòng qua hai tuyến đường song song. Bãi giữ xe tạm được bố trí ở ba điểm đầu phố, có bảng chỉ dẫn và lực lượng tình nguyện viên hỗ trợ người dân từ chiều.',
      `      <figure>
        <div class="photo" role="img" aria-label="Hoàng hôn trên bờ sông, đèn đường vừa bật"></div>
        <figcaption>Bờ sông lúc hoàng hôn, khi những dãy đèn đầu tiên được bật. Ảnh minh họa.</figcaption>
      </figure>`,
      'Ban quản lý cho biết trong ba tháng thí điểm vừa qua, lượng khách đến khu vực tăng gần gấp đôi so với cùng kỳ. Nhiều hộ kinh doanh nhỏ đã đăng ký bán hàng lưu động; mỗi quầy phải giữ vệ sinh chung và không dùng loa công suất lớn sau 22 giờ.',
      'Người dân sống trong khu phố được cấp thẻ ra vào để đưa xe về nhà. Xe cứu thương, cứu hỏa và xe chở người khuyết tật vẫn được lưu thông bình thường.',
      '“Chúng tôi muốn trả lại bờ sông cho người đi bộ, nhất là các gia đình có trẻ nhỏ”, đại diện ban quản lý nói. Nếu mô hình hiệu quả, thành phố sẽ cân nhắc mở rộng thêm một tuyến phố lân cận vào mùa hè năm sau.',
    ),
  },
  {
    path: '/bai/mua-ca-com-than',
    title: 'Mùa cá cơm than: chợ sớm ven biển tấp nập từ 4 giờ sáng',
    section: 'Kinh tế',
    crumbs: 'Kinh tế › Thị trường',
    author: 'Thu Hà',
    time: '05:30, 28/11/2026',
    body: paragraphs(
      'Những ghe đầu tiên cập bến khi trời còn tối. Chỉ trong hai tiếng, hàng chục tấn cá cơm than đã được phân loại, cân và chở đi các lò hấp trong vùng.',
      'Ngư dân cho biết năm nay luồng cá vào gần bờ sớm hơn mọi năm khoảng hai tuần. Giá cá tươi tại bến dao động theo từng mẻ, cao nhất vào lúc rạng sáng khi các cơ sở chế biến cần hàng cho ca đầu.',
      'Ban quản lý chợ đã lắp thêm đèn chiếu sáng và kẻ vạch lối đi riêng cho xe chở hàng, tránh ùn tắc ở cổng chính vào giờ cao điểm.',
      'Các hộ làm nước mắm truyền thống cũng tranh thủ mua cá để ủ chượp. Theo họ, cá cơm than đầu mùa cho nước mắm thơm và đậm hơn.',
    ),
  },
  {
    path: '/bai/xe-buyt-san-bay',
    title: 'Ba tuyến xe buýt mới nối sân bay với trung tâm',
    section: 'Thời sự',
    crumbs: 'Thời sự › Giao thông',
    author: 'Quốc Bảo',
    time: '09:10, 28/11/2026',
    body: paragraphs(
      'Từ đầu tháng tới, hành khách có thể đi từ nhà ga quốc nội về trung tâm thành phố bằng ba tuyến xe buýt mới, chạy từ 5 giờ sáng đến nửa đêm.',
      'Mỗi tuyến có khoảng 20 phút một chuyến vào giờ cao điểm. Xe có chỗ để hành lý và nhận thanh toán bằng thẻ ngân hàng, ví điện tử hoặc tiền mặt.',
      'Sở Giao thông cho biết các điểm dừng được đặt gần khách sạn, bến xe liên tỉnh và ga đường sắt, để du khách không phải đổi phương tiện nhiều lần.',
      'Trong tháng đầu, giá vé được giảm một nửa cho học sinh, sinh viên và người cao tuổi.',
    ),
  },
];

/** Also in the "most read" list; they lead back to the first article. */
const OTHER_HEADLINES = ['Lịch cắt điện cuối tuần ở các phường trung tâm', 'Học sinh thành phố giành giải nhất cuộc thi robot khu vực'];

const escapeHtml = (text: string) => text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The demo page of one article: the template with its fields filled in. */
export function renderDemo(template: string, article: DemoArticle): string {
  const related = [
    ...DEMO_ARTICLES.filter((other) => other !== article).map((other) => `<li><a href="${other.path}">${escapeHtml(other.title)}</a></li>`),
    ...OTHER_HEADLINES.map((title) => `<li><a href="/">${escapeHtml(title)}</a></li>`),
  ];
  const fields: Record<string, string> = {
    path: escapeHtml(article.path),
    title: escapeHtml(article.title),
    section: escapeHtml(article.section),
    crumbs: escapeHtml(article.crumbs),
    author: escapeHtml(article.author),
    time: escapeHtml(article.time),
    body: article.body,
    related: `\n        ${related.join('\n        ')}\n      `,
  };
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = fields[name];
    if (value === undefined) throw new Error(`demo.html: unknown field {{${name}}}`);
    return value;
  });
}
