import { PlaygroundPage } from './ui/controller';

const page = new PlaygroundPage(document);
void page.mount();
